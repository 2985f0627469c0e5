package encode

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// Go's image.YCbCr (and every decoded JPEG) is JFIF: full range, Y and
// Cb/Cr over 0-255. VP8 and H.264 decoders in browsers assume BT.601
// studio range (Y 16-235, Cb/Cr 16-240) unless told otherwise, so unconverted
// frames show with stretched contrast: blacks crushed, whites blown. The
// tables map full range to studio range; the matrix (BT.601) is the same.
var lumaLUT, chromaLUT = func() (l, c [256]uint8) {
	for i := range 256 {
		l[i] = uint8(16 + math.Round(float64(i)*219/255))
		c[i] = uint8(128 + math.Round(float64(i-128)*224/255))
	}
	return l, c
}()

// planar is a 4:2:0 picture in studio range, the layout libvpx (I420) and
// M2M encoders (NV12, after interleaving) read. Buffers are reused from
// frame to frame.
type planar struct {
	w, h      int
	y, cb, cr []byte // strides: w for y, (w+1)/2 for cb and cr
}

func (p *planar) cw() int { return (p.w + 1) / 2 }
func (p *planar) ch() int { return (p.h + 1) / 2 }

// reset sizes the buffers for a w x h picture.
func (p *planar) reset(w, h int) {
	p.w, p.h = w, h
	cw, ch := (w+1)/2, (h+1)/2
	if cap(p.y) < w*h {
		p.y = make([]byte, w*h)
		p.cb = make([]byte, cw*ch)
		p.cr = make([]byte, cw*ch)
	}
	p.y, p.cb, p.cr = p.y[:w*h], p.cb[:cw*ch], p.cr[:cw*ch]
}

// fill converts img into p, which must already have img's size.
func (p *planar) fill(img image.Image) error {
	b := img.Bounds()
	if b.Dx() != p.w || b.Dy() != p.h {
		return fmt.Errorf("%w: frame %dx%d, encoder %dx%d", ErrSize, b.Dx(), b.Dy(), p.w, p.h)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		p.fillYCbCr(m)
	case *image.Gray:
		p.fillGray(m)
	default:
		p.fillAny(img)
	}
	return nil
}

func (p *planar) fillYCbCr(m *image.YCbCr) {
	b := m.Bounds()
	for y := range p.h {
		src := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):][:p.w]
		mapRow(p.y[y*p.w:][:p.w], src, &lumaLUT)
	}
	cw, ch := p.cw(), p.ch()
	if m.SubsampleRatio == image.YCbCrSubsampleRatio420 && b.Min.X%2 == 0 && b.Min.Y%2 == 0 {
		// The common case (the simulator, YUV 4:2:0 cameras): same grid.
		for y := range ch {
			off := m.COffset(b.Min.X, b.Min.Y+2*y)
			mapRow(p.cb[y*cw:][:cw], m.Cb[off:][:cw], &chromaLUT)
			mapRow(p.cr[y*cw:][:cw], m.Cr[off:][:cw], &chromaLUT)
		}
		return
	}
	// Any other subsampling (4:2:2 from most MJPEG webcams, 4:4:4): average
	// the source chroma at the four luma positions of each 2x2 block.
	for y := range ch {
		y0 := b.Min.Y + 2*y
		y1 := min(y0+1, b.Max.Y-1)
		for x := range cw {
			x0 := b.Min.X + 2*x
			x1 := min(x0+1, b.Max.X-1)
			o := [4]int{m.COffset(x0, y0), m.COffset(x1, y0), m.COffset(x0, y1), m.COffset(x1, y1)}
			var cb, cr int
			for _, i := range o {
				cb += int(m.Cb[i])
				cr += int(m.Cr[i])
			}
			p.cb[y*cw+x] = chromaLUT[(cb+2)/4]
			p.cr[y*cw+x] = chromaLUT[(cr+2)/4]
		}
	}
}

// mapRow maps src through lut into dst (same length).
func mapRow(dst, src []byte, lut *[256]uint8) {
	dst = dst[:len(src)] // one bounds check for the row, none per pixel
	for i, v := range src {
		dst[i] = lut[v]
	}
}

func (p *planar) fillGray(m *image.Gray) {
	b := m.Bounds()
	for y := range p.h {
		src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:p.w]
		dst := p.y[y*p.w:][:p.w]
		for x, v := range src {
			dst[x] = lumaLUT[v]
		}
	}
	for i := range p.cb {
		p.cb[i], p.cr[i] = 128, 128
	}
}

// fillAny handles every other image type through its colour model: slow
// (an interface call per pixel) but only for sources no camera here gives.
func (p *planar) fillAny(img image.Image) {
	b := img.Bounds()
	cw := p.cw()
	for y := range p.h {
		for x := range p.w {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			p.y[y*p.w+x] = lumaLUT[yy]
			if x%2 == 0 && y%2 == 0 {
				p.cb[(y/2)*cw+x/2] = chromaLUT[cb]
				p.cr[(y/2)*cw+x/2] = chromaLUT[cr]
			}
		}
	}
}

// nv12 writes p as NV12 (a Y plane, then interleaved Cb/Cr) into dst with
// the given line stride and the chroma plane at uvOffset, as a V4L2
// single-planar NV12 buffer lays it out (drivers pad lines and heights).
func (p *planar) nv12(dst []byte, stride, uvOffset int) error {
	cw, ch := p.cw(), p.ch()
	if stride < p.w || stride < 2*cw || uvOffset < stride*p.h || len(dst) < uvOffset+stride*ch {
		return fmt.Errorf("nv12: buffer of %d bytes, stride %d, chroma at %d too small for %dx%d", len(dst), stride, uvOffset, p.w, p.h)
	}
	for y := range p.h {
		copy(dst[y*stride:][:p.w], p.y[y*p.w:][:p.w])
	}
	for y := range ch {
		row := dst[uvOffset+y*stride:][:2*cw]
		cb, cr := p.cb[y*cw:][:cw], p.cr[y*cw:][:cw]
		for x := range cw {
			row[2*x], row[2*x+1] = cb[x], cr[x]
		}
	}
	return nil
}
