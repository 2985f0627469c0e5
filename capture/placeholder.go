package capture

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"

	"github.com/idkiosk/idkiosk/capture/internal/shape"
)

// Placeholder luma levels: a plain dark grey so a stalled preview reads as
// "no picture" at a glance, and a mid grey glyph that stays visible on it.
const (
	placeholderBG    = 40
	placeholderGlyph = 120
)

// PlaceholderJPEG renders the "camera off" picture at the given size: a dark
// grey field with a crossed-out camera glyph and no text (words belong to
// the UI, in the learner's language).
func PlaceholderJPEG(width, height int) ([]byte, error) {
	if width <= 0 || height <= 0 {
		return nil, fmt.Errorf("placeholder: bad size %dx%d", width, height)
	}
	img := image.NewYCbCr(image.Rect(0, 0, width, height), image.YCbCrSubsampleRatio420)
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	g := newCameraOffGlyph(width, height)
	for y := range height {
		row := img.Y[y*img.YStride : y*img.YStride+width]
		for x := range row {
			a := g.coverage(float64(x)+0.5, float64(y)+0.5)
			row[x] = uint8(placeholderBG + a*(placeholderGlyph-placeholderBG) + 0.5)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("placeholder: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// cameraOffGlyph is a photo camera outline (body, lens, viewfinder bump)
// struck through by a diagonal bar, drawn with signed distance functions so
// it is antialiased at any size.
type cameraOffGlyph struct {
	cx, cy, s, stroke float64
}

func newCameraOffGlyph(w, h int) cameraOffGlyph {
	s := float64(min(w, h)) / 5 // glyph is about 2s wide
	return cameraOffGlyph{cx: float64(w) / 2, cy: float64(h) / 2, s: s, stroke: max(2, s*0.09)}
}

func (g cameraOffGlyph) coverage(x, y float64) float64 {
	px, py := x-g.cx, y-g.cy
	s, t := g.s, g.stroke
	body := math.Abs(shape.RoundRect(px, py, 0, 0.1*s, 1.0*s, 0.65*s, 0.18*s)) - t/2
	bump := math.Abs(shape.RoundRect(px, py, -0.45*s, -0.62*s, 0.25*s, 0.12*s, 0.06*s)) - t/2
	lens := math.Abs(math.Hypot(px, py-0.1*s)-0.36*s) - t/2
	d := min(body, bump, lens)
	// The bar runs top-left to bottom-right with a clear gap on each side,
	// as in the usual "off" icons.
	bar := shape.Segment(px, py, -1.05*s, -0.85*s, 1.05*s, 1.05*s)
	d = max(d, -(bar - 2*t))
	d = min(d, bar-t/2)
	return math.Min(1, math.Max(0, 0.5-d))
}
