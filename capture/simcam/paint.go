package simcam

import (
	"image"
	"image/color"
	"math"

	"github.com/idkiosk/idkiosk/capture/internal/shape"
)

// rgb is a colour with components in 0..255.
type rgb struct{ r, g, b float32 }

func (c rgb) scale(k float32) rgb { return rgb{c.r * k, c.g * k, c.b * k} }

func mix(a, b rgb, t float32) rgb {
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}

// canvas is a float RGBA picture with premultiplied alpha. Scenes are
// painted on it once, at scene change, so clarity matters more than speed
// here; the per-frame path never touches it.
type canvas struct {
	w, h int
	pix  []float32 // r, g, b, a per pixel; r,g,b premultiplied, 0..255
}

func newCanvas(w, h int) *canvas {
	return &canvas{w: w, h: h, pix: make([]float32, 4*w*h)}
}

// box is a pixel rectangle to visit, clipped to the canvas.
func (c *canvas) box(x0, y0, x1, y1 float64) (int, int, int, int) {
	ix0 := max(0, int(math.Floor(x0)))
	iy0 := max(0, int(math.Floor(y0)))
	ix1 := min(c.w, int(math.Ceil(x1)))
	iy1 := min(c.h, int(math.Ceil(y1)))
	return ix0, iy0, ix1, iy1
}

// paint visits the pixels of the box and blends the colour f returns with
// its coverage (0..1) over what is there.
func (c *canvas) paint(x0, y0, x1, y1 float64, f func(x, y float64) (float32, rgb)) {
	ix0, iy0, ix1, iy1 := c.box(x0, y0, x1, y1)
	for y := iy0; y < iy1; y++ {
		for x := ix0; x < ix1; x++ {
			a, col := f(float64(x)+0.5, float64(y)+0.5)
			if a <= 0 {
				continue
			}
			a = min(a, 1)
			p := c.pix[4*(y*c.w+x):][:4]
			k := 1 - a
			p[0] = col.r*a + p[0]*k
			p[1] = col.g*a + p[1]*k
			p[2] = col.b*a + p[2]*k
			p[3] = a + p[3]*k
		}
	}
}

// shade multiplies the pixels of the box by the factor f returns: below 1
// for shadows, above 1 for highlights.
func (c *canvas) shade(x0, y0, x1, y1 float64, f func(x, y float64) float32) {
	ix0, iy0, ix1, iy1 := c.box(x0, y0, x1, y1)
	for y := iy0; y < iy1; y++ {
		for x := ix0; x < ix1; x++ {
			k := f(float64(x)+0.5, float64(y)+0.5)
			if k == 1 {
				continue
			}
			p := c.pix[4*(y*c.w+x):][:4]
			p[0] = min(p[0]*k, 255*p[3])
			p[1] = min(p[1]*k, 255*p[3])
			p[2] = min(p[2]*k, 255*p[3])
		}
	}
}

// fillAll paints the whole canvas.
func (c *canvas) fillAll(f func(x, y float64) rgb) {
	c.paint(0, 0, float64(c.w), float64(c.h), func(x, y float64) (float32, rgb) { return 1, f(x, y) })
}

// ellipse paints an ellipse with an edge soft pixels wide.
func (c *canvas) ellipse(cx, cy, a, b, soft float64, f func(x, y float64) rgb) {
	m := soft + 1
	c.paint(cx-a-m, cy-b-m, cx+a+m, cy+b+m, func(x, y float64) (float32, rgb) {
		return shape.Cover(shape.Ellipse(x, y, cx, cy, a, b), soft), f(x, y)
	})
}

// shadeEllipse darkens (k<1) or lightens (k>1) a soft ellipse: full effect
// in the middle, fading to none at the edge.
func (c *canvas) shadeEllipse(cx, cy, a, b float64, k float32) {
	c.shade(cx-a, cy-b, cx+a, cy+b, func(x, y float64) float32 {
		dx, dy := (x-cx)/a, (y-cy)/b
		r2 := dx*dx + dy*dy
		if r2 >= 1 {
			return 1
		}
		w := float32(1 - r2)
		w = w * w * (3 - 2*w) // smoothstep: no visible rim
		return 1 + (k-1)*w
	})
}

// stroke paints a polyline with round joins.
func (c *canvas) stroke(pts [][2]float64, width, soft float64, col rgb) {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		x0, y0 = math.Min(x0, p[0]), math.Min(y0, p[1])
		x1, y1 = math.Max(x1, p[0]), math.Max(y1, p[1])
	}
	m := width + soft + 1
	c.paint(x0-m, y0-m, x1+m, y1+m, func(x, y float64) (float32, rgb) {
		d := math.Inf(1)
		for i := 1; i < len(pts); i++ {
			d = math.Min(d, shape.Segment(x, y, pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1]))
		}
		return shape.Cover(d-width/2, soft), col
	})
}

// roundRect paints a rectangle with rounded corners.
func (c *canvas) roundRect(x0, y0, x1, y1, r, soft float64, f func(x, y float64) rgb) {
	cx, cy, hx, hy := (x0+x1)/2, (y0+y1)/2, (x1-x0)/2, (y1-y0)/2
	m := soft + 1
	c.paint(x0-m, y0-m, x1+m, y1+m, func(x, y float64) (float32, rgb) {
		return shape.Cover(shape.RoundRect(x, y, cx, cy, hx, hy, r), soft), f(x, y)
	})
}

// draw composites src over c, rotated by angle (radians) about src's centre,
// which lands at (cx, cy), scaled by k. Bilinear sampling keeps edges soft.
func (c *canvas) draw(src *canvas, cx, cy, angle, k float64) {
	sin, cos := math.Sincos(angle)
	hw, hh := float64(src.w)*k/2, float64(src.h)*k/2
	r := math.Hypot(hw, hh) + 2
	ix0, iy0, ix1, iy1 := c.box(cx-r, cy-r, cx+r, cy+r)
	for y := iy0; y < iy1; y++ {
		for x := ix0; x < ix1; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			// Inverse rotation into the source's pixel grid.
			sx := (dx*cos+dy*sin)/k + float64(src.w)/2 - 0.5
			sy := (-dx*sin+dy*cos)/k + float64(src.h)/2 - 0.5
			s := src.sample(sx, sy)
			if s[3] <= 0 {
				continue
			}
			p := c.pix[4*(y*c.w+x):][:4]
			t := 1 - s[3]
			p[0] = s[0] + p[0]*t
			p[1] = s[1] + p[1]*t
			p[2] = s[2] + p[2]*t
			p[3] = s[3] + p[3]*t
		}
	}
}

// sample reads src at a fractional position; outside is transparent.
func (c *canvas) sample(x, y float64) [4]float32 {
	var out [4]float32
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	for j := range 2 {
		for i := range 2 {
			px, py := x0+i, y0+j
			if px < 0 || py < 0 || px >= c.w || py >= c.h {
				continue
			}
			wx, wy := fx, fy
			if i == 0 {
				wx = 1 - fx
			}
			if j == 0 {
				wy = 1 - fy
			}
			w := wx * wy
			p := c.pix[4*(py*c.w+px):][:4]
			out[0] += p[0] * w
			out[1] += p[1] * w
			out[2] += p[2] * w
			out[3] += p[3] * w
		}
	}
	return out
}

// ycbcr converts the canvas to 4:2:0 planes as a JPEG encoder expects
// (full-range BT.601, the image/color conversion), over black where the
// canvas is transparent.
func (c *canvas) ycbcr() *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, c.w, c.h), image.YCbCrSubsampleRatio420)
	at := func(x, y int) (uint8, uint8, uint8) {
		x, y = min(x, c.w-1), min(y, c.h-1)
		p := c.pix[4*(y*c.w+x):][:4]
		return clamp8(p[0]), clamp8(p[1]), clamp8(p[2])
	}
	for y := range c.h {
		for x := range c.w {
			r, g, b := at(x, y)
			img.Y[y*img.YStride+x], _, _ = color.RGBToYCbCr(r, g, b)
		}
	}
	for y := 0; y < c.h; y += 2 {
		for x := 0; x < c.w; x += 2 {
			var sr, sg, sb int
			for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				r, g, b := at(x+d[0], y+d[1])
				sr, sg, sb = sr+int(r), sg+int(g), sb+int(b)
			}
			_, cb, cr := color.RGBToYCbCr(uint8(sr/4), uint8(sg/4), uint8(sb/4))
			i := img.COffset(x, y)
			img.Cb[i], img.Cr[i] = cb, cr
		}
	}
	return img
}

func clamp8(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

func solid(c rgb) func(x, y float64) rgb { return func(float64, float64) rgb { return c } }
