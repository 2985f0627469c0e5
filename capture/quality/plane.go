package quality

import (
	"image"
	"image/color"
)

// plane is an 8-bit luma picture with rows packed (stride = w).
type plane struct {
	w, h int
	pix  []uint8
}

// rect is a pixel rectangle of a plane: [x0,x1) x [y0,y1).
type rect struct{ x0, y0, x1, y1 int }

func (r rect) dx() int     { return r.x1 - r.x0 }
func (r rect) dy() int     { return r.y1 - r.y0 }
func (r rect) area() int   { return max(0, r.dx()) * max(0, r.dy()) }
func (r rect) empty() bool { return r.dx() <= 0 || r.dy() <= 0 }

// whole is the plane's full rectangle.
func (p *plane) whole() rect { return rect{0, 0, p.w, p.h} }

// clip returns r inside the plane.
func (p *plane) clip(r rect) rect {
	r.x0, r.y0 = max(r.x0, 0), max(r.y0, 0)
	r.x1, r.y1 = min(r.x1, p.w), min(r.y1, p.h)
	return r
}

// frac turns a region given in fractions of the frame into pixels.
func (p *plane) frac(x0, y0, x1, y1 float64) rect {
	return p.clip(rect{
		int(x0*float64(p.w) + 0.5), int(y0*float64(p.h) + 0.5),
		int(x1*float64(p.w) + 0.5), int(y1*float64(p.h) + 0.5),
	})
}

// workFactor is the integer downscale that brings a frame to at most
// maxW x maxH. Integer box filters are exact, cheap, and make the measures
// comparable across camera resolutions: 1280x720 and 1920x1080 are judged
// at 640x360, 640x480 as it is.
func workFactor(w, h, maxW, maxH int) int {
	f := 1
	for w/f > maxW || h/f > maxH {
		f++
	}
	return f
}

// lumaPlane returns img's luma, box-downscaled by f (f >= 1). YCbCr frames
// (camera and JPEG) are read from their Y plane directly; the others
// convert with the same BT.601 weights the JPEG encoder uses.
func lumaPlane(img image.Image, f int) *plane {
	b := img.Bounds()
	w, h := b.Dx()/f, b.Dy()/f
	p := &plane{w: w, h: h, pix: make([]uint8, w*h)}
	if w == 0 || h == 0 {
		return p
	}
	row := lumaRows(img)
	if f == 1 {
		for y := range h {
			row(y, p.pix[y*w:(y+1)*w])
		}
		return p
	}
	// Sum f source rows into acc, then divide: one pass over the source.
	src := make([]uint8, b.Dx())
	acc := make([]uint32, w)
	div := uint32(f * f)
	for y := range h {
		clear(acc)
		for dy := range f {
			row(y*f+dy, src)
			for x := range w {
				var s uint32
				for _, v := range src[x*f : x*f+f] {
					s += uint32(v)
				}
				acc[x] += s
			}
		}
		out := p.pix[y*w : (y+1)*w]
		for x := range out {
			out[x] = uint8((acc[x] + div/2) / div)
		}
	}
	return p
}

// lumaRows returns a function that fills dst with the luma of row y
// (relative to the image's bounds), len(dst) <= width.
func lumaRows(img image.Image) func(y int, dst []uint8) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		return func(y int, dst []uint8) {
			i := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(dst, m.Y[i:i+len(dst)])
		}
	case *image.Gray:
		return func(y int, dst []uint8) {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(dst, m.Pix[i:i+len(dst)])
		}
	case *image.RGBA:
		return func(y int, dst []uint8) {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			for x := range dst {
				s := m.Pix[i+4*x : i+4*x+3 : i+4*x+3]
				dst[x] = luma8(s[0], s[1], s[2])
			}
		}
	case *image.NRGBA:
		// Test photos are opaque; alpha is ignored.
		return func(y int, dst []uint8) {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			for x := range dst {
				s := m.Pix[i+4*x : i+4*x+3 : i+4*x+3]
				dst[x] = luma8(s[0], s[1], s[2])
			}
		}
	}
	return func(y int, dst []uint8) {
		for x := range dst {
			r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			dst[x] = luma8(uint8(r>>8), uint8(g>>8), uint8(bb>>8))
		}
	}
}

// luma8 is BT.601 luma, as color.RGBToYCbCr computes it.
func luma8(r, g, b uint8) uint8 {
	y, _, _ := color.RGBToYCbCr(r, g, b)
	return y
}

// downscale box-filters p by an integer factor.
func (p *plane) downscale(f int) *plane {
	if f <= 1 {
		return p
	}
	w, h := p.w/f, p.h/f
	q := &plane{w: w, h: h, pix: make([]uint8, w*h)}
	div := uint32(f * f)
	for y := range h {
		for x := range w {
			var s uint32
			for dy := range f {
				r := p.pix[(y*f+dy)*p.w+x*f:][:f]
				for _, v := range r {
					s += uint32(v)
				}
			}
			q.pix[y*w+x] = uint8((s + div/2) / div)
		}
	}
	return q
}
