package diag

import (
	"bytes"
	"image"
	"image/color"
	"time"
)

// The luma grid each sampled frame is reduced to.
const gridW, gridH = 64, 48

// lumaGrid samples img's luma at gridW x gridH evenly spread points and
// returns them with their mean. Single pixels, not block means: averaging
// would smooth away the sensor noise that tells a live camera watching a
// still scene from a frozen one.
func lumaGrid(img image.Image, dst []byte) ([]byte, float64) {
	b := img.Bounds()
	dst = dst[:0]
	var sum int
	yc, isYCbCr := img.(*image.YCbCr)
	for gy := range gridH {
		y := b.Min.Y + (2*gy+1)*b.Dy()/(2*gridH)
		for gx := range gridW {
			x := b.Min.X + (2*gx+1)*b.Dx()/(2*gridW)
			var l uint8
			if isYCbCr {
				l = yc.Y[yc.YOffset(x, y)]
			} else {
				l = color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
			}
			dst = append(dst, l)
			sum += int(l)
		}
	}
	return dst, float64(sum) / float64(len(dst))
}

// blackShare is the share of near-black samples that makes a picture
// black. Not the mean alone: an overlay (a camera's timestamp, vivid's OSD
// text) lifts the mean of a covered camera to 25 and more, above the mean
// of a dim but real scene (the simulator's "very low light" is 25, with 19%
// of it near black). A covered camera is 95-100% near black; vivid's black
// with its OSD text on, 92%.
const blackShare = 0.85

// frameWatch follows sampled frames and says how long the picture has been
// black and how long it has not changed.
type frameWatch struct {
	blackLuma float64

	prev        []byte
	cur         []byte
	mean        float64
	dark        float64 // share of samples below blackLuma
	samples     int
	prevAt      time.Time
	blackSince  time.Time // zero: not black
	frozenSince time.Time // zero: changing
}

func (w *frameWatch) reset() {
	w.samples = 0
	w.blackSince, w.frozenSince = time.Time{}, time.Time{}
	w.prev = w.prev[:0]
}

// add takes one sampled frame at now.
func (w *frameWatch) add(img image.Image, now time.Time) {
	w.cur, w.mean = lumaGrid(img, w.cur)
	dark := 0
	for _, l := range w.cur {
		if float64(l) < w.blackLuma {
			dark++
		}
	}
	w.dark = float64(dark) / float64(len(w.cur))
	if w.dark >= blackShare {
		if w.blackSince.IsZero() {
			w.blackSince = now
		}
	} else {
		w.blackSince = time.Time{}
	}
	if w.samples > 0 && bytes.Equal(w.cur, w.prev) {
		if w.frozenSince.IsZero() {
			// The earlier of the two identical frames is when the
			// picture stopped changing.
			w.frozenSince = w.prevAt
		}
	} else {
		w.frozenSince = time.Time{}
	}
	w.prev, w.cur = w.cur, w.prev
	w.prevAt = now
	w.samples++
}

func (w *frameWatch) blackFor(now time.Time) time.Duration {
	if w.blackSince.IsZero() {
		return 0
	}
	return now.Sub(w.blackSince)
}

func (w *frameWatch) frozenFor(now time.Time) time.Duration {
	if w.frozenSince.IsZero() {
		return 0
	}
	return now.Sub(w.frozenSince)
}
