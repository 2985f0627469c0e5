package encode

import (
	"image"
	"image/color"
	"time"
)

// testFrame is a Frame from a picture in memory.
type testFrame struct{ img image.Image }

func (f testFrame) Image() (image.Image, error) { return f.img, nil }

// quadrants is a w x h 4:2:0 picture in four flat colours: top-left,
// top-right, bottom-left, bottom-right.
func quadrants(w, h int, c [4]color.RGBA) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			q := 0
			if x >= w/2 {
				q++
			}
			if y >= h/2 {
				q += 2
			}
			yy, cb, cr := color.RGBToYCbCr(c[q].R, c[q].G, c[q].B)
			img.Y[img.YOffset(x, y)] = yy
			img.Cb[img.COffset(x, y)] = cb
			img.Cr[img.COffset(x, y)] = cr
		}
	}
	return img
}

var testColours = [4]color.RGBA{
	{R: 28, G: 86, B: 150, A: 255},   // the ID card's blue band
	{R: 230, G: 230, B: 230, A: 255}, // paper
	{R: 20, G: 20, B: 24, A: 255},    // the dark cradle
	{R: 200, G: 40, B: 40, A: 255},   // red
}

// studioRGB converts a studio-range (BT.601, Y 16-235) sample to RGB, as
// a browser shows a decoded video frame.
func studioRGB(y, cb, cr uint8) (r, g, b int) {
	yf := (float64(y) - 16) * 255 / 219
	pb := (float64(cb) - 128) * 255 / 224
	pr := (float64(cr) - 128) * 255 / 224
	clamp := func(v float64) int { return int(max(0, min(255, v+0.5))) }
	return clamp(yf + 1.402*pr), clamp(yf - 0.344136*pb - 0.714136*pr), clamp(yf + 1.772*pb)
}

// at returns the RGB of the decoded pixel (x, y) read as studio range.
func at(img *image.YCbCr, x, y int) (r, g, b int) {
	return studioRGB(img.Y[img.YOffset(x, y)], img.Cb[img.COffset(x, y)], img.Cr[img.COffset(x, y)])
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }
