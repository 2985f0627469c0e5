package simcam

import (
	"image"
	"math"
)

// Measures a quality check could use to tell scenes apart. They read the
// frame as a camera consumer would: from the YCbCr planes.

type region struct{ x0, y0, x1, y1 float64 } // fractions of the frame

var (
	whole  = region{0, 0, 1, 1}
	centre = region{0.3, 0.25, 0.7, 0.75}
)

func (r region) each(img *image.YCbCr, f func(y, cb, cr uint8)) int {
	b := img.Bounds()
	x0, x1 := int(r.x0*float64(b.Dx())), int(r.x1*float64(b.Dx()))
	y0, y1 := int(r.y0*float64(b.Dy())), int(r.y1*float64(b.Dy()))
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			ci := img.COffset(x, y)
			f(img.Y[img.YOffset(x, y)], img.Cb[ci], img.Cr[ci])
		}
	}
	return (x1 - x0) * (y1 - y0)
}

func share(img *image.YCbCr, r region, pred func(y, cb, cr uint8) bool) float64 {
	hits := 0
	n := r.each(img, func(y, cb, cr uint8) {
		if pred(y, cb, cr) {
			hits++
		}
	})
	return float64(hits) / float64(n)
}

func meanLuma(img *image.YCbCr) float64 {
	var sum float64
	n := whole.each(img, func(y, _, _ uint8) { sum += float64(y) })
	return sum / float64(n)
}

// isSkin is the classic Cb/Cr skin box, on pixels lit well enough to judge.
func isSkin(y, cb, cr uint8) bool {
	return y > 60 && cb >= 77 && cb <= 127 && cr >= 133 && cr <= 173
}

// isCard is the card's pale, nearly neutral print background.
func isCard(y, cb, cr uint8) bool {
	return y > 195 && absDiff(cb, 128) < 14 && absDiff(cr, 128) < 14
}

// isBand is a saturated dark blue, the card's header band.
func isBand(y, cb, _ uint8) bool { return y < 110 && cb > 160 }

// edgeDensity is the share of pixels with a strong luma step to the right
// or below: text, barcodes and card edges have many, a wall has few.
func edgeDensity(img *image.YCbCr) float64 {
	b := img.Bounds()
	edges := 0
	for y := 0; y < b.Dy()-1; y++ {
		for x := 0; x < b.Dx()-1; x++ {
			v := int(img.Y[img.YOffset(x, y)])
			dx := int(img.Y[img.YOffset(x+1, y)]) - v
			dy := int(img.Y[img.YOffset(x, y+1)]) - v
			if abs(dx)+abs(dy) > 40 {
				edges++
			}
		}
	}
	return float64(edges) / float64((b.Dx()-1)*(b.Dy()-1))
}

// lumaMAD is the mean absolute luma difference of two same-size frames.
func lumaMAD(a, b *image.YCbCr) float64 {
	var sum float64
	for y := range a.Rect.Dy() {
		ra := a.Y[y*a.YStride:][:a.Rect.Dx()]
		rb := b.Y[y*b.YStride:][:b.Rect.Dx()]
		for x := range ra {
			sum += math.Abs(float64(ra[x]) - float64(rb[x]))
		}
	}
	return sum / float64(a.Rect.Dx()*a.Rect.Dy())
}

func absDiff(a, b uint8) int { return abs(int(a) - int(b)) }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
