package simcam

import (
	"image"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// basicfont.Face7x13 metrics: 7 px advance, baseline at 11, capitals 9 px
// tall starting on row 2.
const (
	glyphAdvance = 7
	glyphBase    = 11
	glyphCapTop  = 2
	glyphCap     = 9
)

// text paints s with its capitals capH pixels tall, the top of the capitals
// at y, starting at x. It returns the width painted. The 7x13 bitmap font is
// scaled up with bilinear sampling: soft, like print seen through a webcam.
func (c *canvas) text(s string, x, y, capH float64, col rgb) float64 {
	mask := image.NewAlpha(image.Rect(0, 0, glyphAdvance*len(s), 13))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: basicfont.Face7x13, Dot: fixed.P(0, glyphBase)}
	d.DrawString(s)

	k := capH / glyphCap
	w := float64(mask.Rect.Dx()) * k
	top := y - glyphCapTop*k
	c.paint(x, top, x+w, top+13*k, func(px, py float64) (float32, rgb) {
		return sampleAlpha(mask, (px-x)/k-0.5, (py-top)/k-0.5), col
	})
	return w
}

// textWidth is the width text would paint.
func textWidth(s string, capH float64) float64 {
	return float64(glyphAdvance*len(s)) * capH / glyphCap
}

func sampleAlpha(m *image.Alpha, x, y float64) float32 {
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	at := func(px, py int) float32 {
		if px < 0 || py < 0 || px >= m.Rect.Dx() || py >= m.Rect.Dy() {
			return 0
		}
		return float32(m.Pix[py*m.Stride+px]) / 255
	}
	top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
	bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
	return top*(1-fy) + bot*fy
}
