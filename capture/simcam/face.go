package simcam

import (
	"math"

	"github.com/idkiosk/idkiosk/capture/internal/shape"
)

// Colours of the simulated learner. The skin tone sits inside the usual
// Cb/Cr skin box (Cb 77..127, Cr 133..173) so colour-based checks find it.
var (
	skinTone  = rgb{222, 170, 136}
	hairColor = rgb{50, 36, 28}
	browColor = rgb{64, 46, 36}
	irisColor = rgb{84, 56, 38}
	shirtTone = rgb{50, 68, 110}
	lipUpper  = rgb{172, 94, 88}
	lipLower  = rgb{188, 106, 98}
)

// person paints a learner facing the camera: head centred at (cx, cy),
// sized by s (1 = a head about 165 px wide, right for a 480-line frame).
// Shapes are in those 480-line pixels around the head centre. The layers
// go back to front, and the shading (a soft key light from the upper left,
// darker rims, shadows under brows, nose, lip and chin) is what a
// face detector keys on: dark eye bands, a bright nose bridge and cheeks.
func person(c *canvas, cx, cy, s float64) {
	at := func(x, y float64) (float64, float64) { return cx + x*s, cy + y*s }
	local := func(x, y float64) (float64, float64) { return (x - cx) / s, (y - cy) / s }
	soft := math.Max(1, 1.5*s)

	// Neck.
	c.roundRect(cx-40*s, cy+45*s, cx+40*s, cy+215*s, 20*s, soft, func(x, y float64) rgb {
		_, ly := local(x, y)
		// The jaw shades the top of the neck.
		return skinTone.scale(float32(0.6 + 0.28*shape.Smoothstep(60, 135, ly)))
	})
	// Shoulders in a shirt with a V neck, sloping down and out from the
	// base of the neck, rounder towards the edges.
	c.paint(cx-270*s, cy+120*s, cx+270*s, float64(c.h), func(x, y float64) (float32, rgb) {
		lx, ly := local(x, y)
		ax := math.Abs(lx)
		// Neck to shoulder, a flatter run, then round down to the arm.
		top := 148 + 26*shape.Smoothstep(35, 130, ax) + 90*math.Pow(math.Max(0, ax-175)/85, 2)
		a := min(shape.Cover((top-ly)*s, soft), shape.Cover((ax-255)*s, soft))
		// The V neck: open above the line from the collar to the apex.
		v := (205 - 1.35*ax) - ly
		a *= 1 - shape.Cover(-v*s, soft)
		k := 0.7 + 0.3*(1-math.Pow(lx/255, 2))
		return a, shirtTone.scale(float32(k))
	})

	// Hair behind the head, framing the face down to the ears.
	hx, hy := at(0, -16)
	c.paint(hx-104*s, hy-130*s, hx+104*s, hy+100*s, func(x, y float64) (float32, rgb) {
		lx, ly := local(x, y)
		a := min(shape.Cover(shape.Ellipse(lx, ly, 0, -16, 100, 118)*s, soft*2), shape.Cover((ly-30)*s, 6*s))
		return a, hairColor.scale(float32(0.9 + 0.12*math.Sin(lx*0.35+ly*0.04)))
	})

	// Ears.
	for _, side := range []float64{-1, 1} {
		ex, ey := at(side*83, 8)
		c.ellipse(ex, ey, 13*s, 25*s, soft, solid(skinTone.scale(0.8)))
		c.shadeEllipse(ex-side*3*s, ey, 6*s, 15*s, 0.82)
	}

	// The face: an egg, narrower at the chin, lit like a sphere.
	c.paint(cx-90*s, cy-120*s, cx+90*s, cy+120*s, func(x, y float64) (float32, rgb) {
		lx, ly := local(x, y)
		return shape.Cover(faceDist(lx, ly)*s, soft), skinTone.scale(faceLight(lx, ly))
	})

	// Hair on top: above an arched hairline, a little uneven.
	c.paint(cx-105*s, cy-145*s, cx+105*s, cy-20*s, func(x, y float64) (float32, rgb) {
		lx, ly := local(x, y)
		t := math.Max(0, 1-math.Pow(lx/84, 2))
		line := -42 - 46*math.Pow(t, 0.6) + 3*math.Sin(lx*0.17)
		a := shape.Cover((ly-line)*s, soft*2)
		a *= shape.Cover(shape.Ellipse(lx, ly, 0, -16, 100, 118)*s, soft*2)
		return a, hairColor.scale(float32(0.92 + 0.14*math.Sin(lx*0.3+ly*0.09)))
	})
	// The fringe shades the forehead just below it.
	fx, fy := at(0, -70)
	c.shadeEllipse(fx, fy, 70*s, 14*s, 0.9)

	for _, side := range []float64{-1, 1} {
		eye(c, cx, cy, s, side)
	}
	nose(c, at, s)
	mouth(c, at, s)

	// A little colour on the cheeks and light on the chin.
	for _, side := range []float64{-1, 1} {
		bx, by := at(side*46, 26)
		c.paint(bx-22*s, by-16*s, bx+22*s, by+16*s, func(x, y float64) (float32, rgb) {
			dx, dy := (x-bx)/(22*s), (y-by)/(16*s)
			return float32(0.16 * math.Max(0, 1-dx*dx-dy*dy)), rgb{236, 136, 124}
		})
	}
	chx, chy := at(0, 94)
	c.shadeEllipse(chx, chy, 22*s, 9*s, 1.05)
}

// faceDist is the signed distance (480-line pixels) to the face outline.
func faceDist(x, y float64) float64 {
	a, b := 82.0, 112.0
	if y > 0 {
		a *= 1 - 0.2*math.Pow(y/b, 2)
		b = 110
	}
	return shape.Ellipse(x, y, 0, 0, a, b)
}

// faceLight is the shading of the face at (x, y): brightest a little up and
// left of centre, falling off towards the rim like a lit sphere.
func faceLight(x, y float64) float32 {
	nx, ny := x/84, y/112
	r2 := nx*nx + ny*ny
	k := 0.7 + 0.32*math.Sqrt(math.Max(0, 1-0.92*r2))
	k += -0.06*nx - 0.03*ny
	return float32(k)
}

// eye paints one eye (side -1 left, 1 right in the picture) with its brow,
// socket shadow, white, iris, pupil, catchlight and lashes.
func eye(c *canvas, cx, cy, s, side float64) {
	ex, ey := cx+side*32*s, cy-16*s
	soft := math.Max(1, 1.2*s)

	// Brow: a thick arch, thinning towards the temple.
	brow := [][2]float64{}
	for i := range 9 {
		t := float64(i) / 8
		bx := 14 + 46*t
		by := -38 - 9*math.Sin(math.Pi*(0.3+0.7*t))
		brow = append(brow, [2]float64{cx + side*bx*s, cy + by*s})
	}
	c.stroke(brow[:6], 7.5*s, soft*1.5, browColor)
	c.stroke(brow[5:], 5*s, soft*1.5, browColor)

	// Socket shadow: the strongest dark band of the face.
	c.shadeEllipse(ex, ey-2*s, 29*s, 17*s, 0.8)

	// The eye is a lens between two arcs: a rounder upper lid, a flatter
	// lower one.
	upY, upR := ey+13*s, 21*s
	loY, loR := ey-17*s, 23*s
	lens := func(x, y float64) float64 {
		du := math.Hypot(x-ex, y-upY) - upR
		dl := math.Hypot(x-ex, y-loY) - loR
		return math.Max(du, dl)
	}
	c.paint(ex-18*s, ey-10*s, ex+18*s, ey+9*s, func(x, y float64) (float32, rgb) {
		k := 0.95 - 0.18*math.Pow((x-ex)/(16*s), 2)
		return shape.Cover(lens(x, y), soft), rgb{238, 232, 228}.scale(float32(k))
	})
	ix, iy := ex-side*0.5*s, ey-1*s
	c.paint(ex-10*s, ey-10*s, ex+10*s, ey+9*s, func(x, y float64) (float32, rgb) {
		a := min(shape.Cover(lens(x, y), soft), shape.Cover(math.Hypot(x-ix, y-iy)-7.5*s, soft))
		r := math.Hypot(x-ix, y-iy) / (7.5 * s)
		col := irisColor.scale(float32(1.1 - 0.45*r*r)) // darker limbal ring
		if pr := math.Hypot(x-ix, y-iy) - 3.4*s; pr < 0.5 {
			col = mix(col, rgb{14, 10, 10}, shape.Cover(pr, soft))
		}
		return a, col
	})
	c.ellipse(ix-2.6*s, iy-2.8*s, 1.7*s, 1.5*s, soft, solid(rgb{250, 250, 250}))

	// Lashes along the upper lid, the crease above it, a faint lower lid.
	c.paint(ex-20*s, ey-13*s, ex+20*s, ey+8*s, func(x, y float64) (float32, rgb) {
		du := math.Abs(math.Hypot(x-ex, y-upY)-upR) - 1.4*s
		inside := shape.Cover(math.Hypot(x-ex, y-loY)-loR-1.5*s, soft)
		return min(shape.Cover(du, soft), inside), rgb{38, 26, 22}
	})
	c.shade(ex-17*s, ey-16*s, ex+17*s, ey-6*s, func(x, y float64) float32 {
		d := math.Abs(math.Hypot(x-ex, y-(ey+14*s))-27*s) - 1*s
		w := float64(shape.Cover(d, 2*soft)) * (1 - math.Pow((x-ex)/(17*s), 2))
		return float32(1 - 0.14*w)
	})
	c.shade(ex-15*s, ey+2*s, ex+15*s, ey+9*s, func(x, y float64) float32 {
		d := math.Abs(math.Hypot(x-ex, y-loY)-loR-1.5*s) - 0.8*s
		return float32(1 - 0.12*float64(shape.Cover(d, soft)))
	})
}

func nose(c *canvas, at func(x, y float64) (float64, float64), s float64) {
	shade := func(x, y, a, b float64, k float32) {
		px, py := at(x, y)
		c.shadeEllipse(px, py, a*s, b*s, k)
	}
	shade(0, -6, 7, 24, 1.07) // bridge highlight
	for _, side := range []float64{-1, 1} {
		shade(side*12, 8, 7, 22, 0.88) // flanks
		shade(side*15, 27, 7, 7, 0.85) // wings
	}
	shade(0, 22, 9, 7, 1.08)  // tip
	shade(0, 35, 19, 6, 0.76) // shadow under the nose
	shade(0, 44, 5, 6, 0.93)  // philtrum
	for _, side := range []float64{-1, 1} {
		nx, ny := at(side*7.5, 31)
		c.ellipse(nx, ny, 4.6*s, 2.6*s, math.Max(1, 1.6*s), solid(rgb{104, 60, 52}))
	}
}

func mouth(c *canvas, at func(x, y float64) (float64, float64), s float64) {
	soft := math.Max(1, 1.4*s)
	ux, uy := at(0, 55)
	c.ellipse(ux, uy, 25*s, 5.5*s, soft, solid(lipUpper))
	lx, ly := at(0, 62)
	c.ellipse(lx, ly, 22*s, 6.5*s, soft, solid(lipLower))
	c.shadeEllipse(lx, ly-1*s, 10*s, 3*s, 1.08)
	var line [][2]float64
	for i := range 9 {
		t := float64(i)/4 - 1
		x, y := at(25*t, 58.5-1.8*t*t)
		line = append(line, [2]float64{x, y})
	}
	c.stroke(line, 2*s, soft, rgb{104, 46, 44})
	sx, sy := at(0, 74)
	c.shadeEllipse(sx, sy, 17*s, 5*s, 0.86)
}
