package simcam

import (
	"math"

	"github.com/idkiosk/idkiosk/capture/internal/shape"
)

// ID-1 card size (ISO/IEC 7810) in millimetres; cards are drawn in mm and
// scaled, so proportions are right at any frame size.
const (
	cardW      = 85.60
	cardH      = 53.98
	cardRadius = 3.18
)

var (
	cardPaper  = rgb{234, 239, 236}
	cardTint   = rgb{214, 228, 236}
	cardBand   = rgb{28, 86, 150}
	cardInk    = rgb{22, 26, 34}
	cardLabel  = rgb{96, 106, 118}
	photoBack  = rgb{196, 210, 222}
	signatureC = rgb{30, 44, 120}
)

// Sample data printed on the card. None of it is a real person.
const (
	cardTitle    = "IDENTITY CARD"
	cardName     = "SAMPLE LEARNER"
	cardBirth    = "01.01.1990"
	cardExpiry   = "31.12.2030"
	cardIssued   = "01.01.2025"
	cardDocument = "SMP012345"
)

// cardMRZ is an MRZ-like block in the TD1 layout: 3 lines of 30 characters.
var cardMRZ = [3]string{
	"IDSMPSMP0123454<<<<<<<<<<<<<<<",
	"9001012F3012317SMP<<<<<<<<<<<8",
	"LEARNER<<SAMPLE<<<<<<<<<<<<<<<",
}

// cardCanvas is a card-sized transparent canvas with k pixels per mm and
// the blank card painted on it.
func cardCanvas(k float64) (*canvas, func(x, y float64) (float64, float64)) {
	w, h := int(math.Ceil(cardW*k)), int(math.Ceil(cardH*k))
	c := newCanvas(w, h)
	mm := func(x, y float64) (float64, float64) { return x * k, y * k }
	soft := 1.0
	c.roundRect(0, 0, cardW*k, cardH*k, cardRadius*k, soft, func(x, y float64) rgb {
		u, v := x/k, y/k
		t := float32(shape.Smoothstep(0, cardW+cardH, u+v))
		col := mix(cardPaper, cardTint, t)
		// Guilloche: fine interfering waves, the security print every ID
		// has; they also give the card texture at a distance.
		g := math.Sin(u*1.9+3*math.Sin(v*0.35)) * math.Sin(v*2.3+2*math.Sin(u*0.27))
		return col.scale(float32(1 - 0.035*(g+1)))
	})
	// Edge of the card: a little darker, as a laminate edge looks.
	c.shade(0, 0, cardW*k, cardH*k, func(x, y float64) float32 {
		d := -shape.RoundRect(x, y, cardW*k/2, cardH*k/2, cardW*k/2, cardH*k/2, cardRadius*k)
		return float32(0.9 + 0.1*shape.Smoothstep(0, 0.8*k, d))
	})
	return c, mm
}

// cardFront paints the photo side at k pixels per mm: a coloured header
// band, a small portrait, labelled fields, a signature and a hologram.
func cardFront(k float64) *canvas {
	c, mm := cardCanvas(k)
	// Header band, clipped to the card's rounded top.
	c.paint(0, 0, cardW*k, 10*k, func(x, y float64) (float32, rgb) {
		a := shape.Cover(shape.RoundRect(x, y, cardW*k/2, cardH*k/2, cardW*k/2, cardH*k/2, cardRadius*k), 1)
		a = min(a, shape.Cover(y-10*k, 1))
		return a, mix(cardBand, cardBand.scale(0.8), float32(x/(cardW*k)))
	})
	x, y := mm(6, 3)
	c.text(cardTitle, x, y, 4*k, rgb{246, 248, 250})

	// Portrait: its own little picture with a plain background.
	pw, ph := int(23*k), int(31*k)
	photo := newCanvas(pw, ph)
	photo.fillAll(func(_, y float64) rgb { return mix(photoBack, photoBack.scale(0.88), float32(y/float64(ph))) })
	person(photo, float64(pw)/2, float64(ph)*0.44, float64(pw)/290)
	px, py := mm(4+23.0/2, 14+31.0/2)
	c.draw(photo, px, py, 0, 1)

	fields := []struct{ label, value string }{
		{"NAME", cardName},
		{"DATE OF BIRTH", cardBirth},
		{"DATE OF EXPIRY", cardExpiry},
		{"DOCUMENT NO", cardDocument},
	}
	for i, f := range fields {
		fy := 14 + 7.6*float64(i)
		lx, ly := mm(31, fy)
		c.text(f.label, lx, ly, 1.6*k, cardLabel)
		vx, vy := mm(31, fy+2.4)
		c.text(f.value, vx, vy, 2.7*k, cardInk)
	}

	// Signature: a quick looping scribble.
	var sig [][2]float64
	for i := range 40 {
		t := float64(i) / 39
		sx := 31 + 24*t
		sy := 48.5 - 1.6*math.Sin(t*math.Pi*5) - 0.9*math.Sin(t*math.Pi*13)
		sig = append(sig, [2]float64{sx * k, sy * k})
	}
	c.stroke(sig, math.Max(1, 0.35*k), 1, signatureC)

	// Hologram: a faint iridescent disc.
	hx, hy := mm(73, 41)
	c.paint(hx-7*k, hy-7*k, hx+7*k, hy+7*k, func(x, y float64) (float32, rgb) {
		d := math.Hypot(x-hx, y-hy)
		a := 0.22 * shape.Cover(d-6*k, 1)
		ang := math.Atan2(y-hy, x-hx)
		return a, rgb{
			float32(180 + 70*math.Sin(ang*3)),
			float32(180 + 70*math.Sin(ang*3+2.1)),
			float32(180 + 70*math.Sin(ang*3+4.2)),
		}
	})
	return c
}

// cardBack paints the name side at k pixels per mm: address and issue
// fields, a barcode and a machine-readable zone; no portrait, no band.
func cardBack(k float64) *canvas {
	c, mm := cardCanvas(k)
	fields := []struct {
		x, y         float64
		label, value string
	}{
		{5, 4, "ADDRESS", "1 SAMPLE ST, SAMPLE CITY"},
		{5, 11, "DATE OF ISSUE", cardIssued},
		{48, 11, "AUTHORITY", "SAMPLE OFFICE"},
	}
	for _, f := range fields {
		lx, ly := mm(f.x, f.y)
		c.text(f.label, lx, ly, 1.6*k, cardLabel)
		vx, vy := mm(f.x, f.y+2.4)
		c.text(f.value, vx, vy, 2.5*k, cardInk)
	}

	// A 1D barcode: bars and gaps of 1-3 modules from a fixed sequence.
	const module = 0.38
	_, by0 := mm(0, 18)
	_, by1 := mm(0, 29)
	seed := uint32(0x9e3779b9)
	x := 5.0
	bar := true
	for x < 80 {
		seed = seed*1664525 + 1013904223
		w := module * float64(1+seed>>30%3)
		if bar {
			c.paint(x*k, by0, (x+w)*k, by1, func(px, _ float64) (float32, rgb) {
				return min(shape.Cover(x*k-px, 1), shape.Cover(px-(x+w)*k, 1)), cardInk
			})
		}
		x += w
		bar = !bar
	}

	// MRZ on a paler band, in the fixed-pitch font it is always printed in.
	_, zy := mm(0, 33)
	c.paint(0, zy, cardW*k, cardH*k, func(x, y float64) (float32, rgb) {
		a := shape.Cover(shape.RoundRect(x, y, cardW*k/2, cardH*k/2, cardW*k/2, cardH*k/2, cardRadius*k), 1)
		return a * 0.6, rgb{246, 246, 240}
	})
	for i, line := range cardMRZ {
		lx, ly := mm(4.5, 36+5.6*float64(i))
		c.text(line, lx, ly, 3.1*k, cardInk)
	}
	return c
}
