package simcam

import (
	"image"
	"math"

	"github.com/idkiosk/idkiosk/capture/internal/shape"
)

// layer is a scene's static picture, rendered once per scene and size,
// with a margin on every side so the per-frame sway is a crop, and the
// scene's motion and noise settings.
type layer struct {
	img    *image.YCbCr
	margin int
	swayX  float64 // crop sway amplitudes, pixels
	swayY  float64
	noise  float64 // sensor noise sigma, luma levels
}

// newLayer paints scene sc for a w x h frame.
func newLayer(sc Scene, w, h int) *layer {
	s := float64(h) / 480
	m := int(math.Ceil(5 * s))
	c := newCanvas(w+2*m, h+2*m)
	// Shapes are placed in frame coordinates; the margin is extra room.
	fw, fh, ox, oy := float64(w), float64(h), float64(m), float64(m)
	// Only people sway. A card in the cradle and an empty booth hold still
	// like the real thing; their motion is the light and the noise.
	l := &layer{margin: m, noise: 1.8}
	switch sc {
	case SceneFace, SceneDark:
		room(c)
		person(c, ox+fw/2, oy+0.46*fh, s)
		l.swayX, l.swayY = 4*s, 2*s
	case SceneFaceWithID:
		room(c)
		px, py := ox+0.40*fw, oy+0.47*fh
		person(c, px, py, s)
		heldCard(c, px+185*s, py+40*s, s)
		l.swayX, l.swayY = 4*s, 2*s
	case SceneIDFront, SceneIDBack:
		cradle(c)
		k := math.Min(0.8*fw/cardW, 0.8*fh/cardH)
		card := cardFront(k)
		if sc == SceneIDBack {
			card = cardBack(k)
		}
		cx, cy := ox+fw/2+3*s, oy+fh/2+2*s
		// The card's soft shadow on the cradle floor.
		c.shade(cx-cardW*k/2-12*s, cy-cardH*k/2-12*s, cx+cardW*k/2+16*s, cy+cardH*k/2+16*s, func(x, y float64) float32 {
			d := shape.RoundRect(x, y, cx+3*s, cy+4*s, cardW*k/2, cardH*k/2, cardRadius*k)
			return float32(0.55 + 0.45*shape.Smoothstep(-4*s, 10*s, d))
		})
		c.draw(card, cx, cy, 0.6*math.Pi/180, 1)
	default: // SceneEmpty
		room(c)
	}
	img := c.ycbcr()
	if sc == SceneDark {
		darken(img)
		l.noise = 3.2
	}
	l.img = img
	return l
}

// darken turns a lit picture into the same scene under very low light:
// luma at about a sixth, colour mostly gone, as a webcam at full gain shows.
func darken(img *image.YCbCr) {
	for i, v := range img.Y {
		img.Y[i] = uint8(4 + float64(v)*0.16)
	}
	for i := range img.Cb {
		img.Cb[i] = uint8(128 + (float64(img.Cb[i])-128)*0.35)
		img.Cr[i] = uint8(128 + (float64(img.Cr[i])-128)*0.35)
	}
}

// room paints the booth behind the learner: a cool grey wall lit from the
// upper left, a door frame on the right and the floor line.
func room(c *canvas) {
	w, h := float64(c.w), float64(c.h)
	top, bottom := rgb{178, 184, 190}, rgb{146, 153, 160}
	c.fillAll(func(x, y float64) rgb {
		col := mix(top, bottom, float32(y/h))
		// Light falls off away from a lamp above the left edge.
		d := math.Hypot(x/w-0.15, y/h+0.2)
		return col.scale(float32(1.05 - 0.22*d))
	})
	// Door frame and door.
	c.roundRect(0.84*w, 0.08*h, 1.2*w, 1.1*h, 2, 1, solid(rgb{134, 132, 130}))
	c.roundRect(0.87*w, 0.11*h, 1.2*w, 1.1*h, 2, 1, solid(rgb{204, 206, 204}))
	c.shade(0.87*w, 0.11*h, 0.9*w, 1.1*h, func(x, _ float64) float32 {
		return float32(0.8 + 0.2*shape.Smoothstep(0.87*w, 0.9*w, x))
	})
	// Skirting board and floor.
	c.paint(0, 0.9*h, w, h, func(_, y float64) (float32, rgb) {
		return shape.Cover(0.9*h-y, 1), rgb{116, 110, 104}
	})
}

// cradle paints the dark, matte recess the card lies in.
func cradle(c *canvas) {
	w, h := float64(c.w), float64(c.h)
	c.fillAll(func(x, y float64) rgb {
		d := math.Hypot(x/w-0.5, y/h-0.5)
		return rgb{34, 35, 40}.scale(float32(1.1 - 0.5*d))
	})
	// The recess walls catch a little of the cradle light.
	c.shade(0, 0, w, h, func(x, y float64) float32 {
		d := -shape.RoundRect(x, y, w/2, h/2, w*0.46, h*0.44, 0.04*h)
		return float32(1.25 - 0.25*shape.Smoothstep(0, 0.03*h, d))
	})
}

// heldCard paints the photo side of the card held up beside the face:
// slightly turned, the fingers over its lower edge, the forearm below.
func heldCard(c *canvas, cx, cy, s float64) {
	k := 2.3 * s // px per mm: about 200 px wide in a 640x480 frame
	soft := math.Max(1, 1.5*s)
	// Forearm in a sleeve, from below the frame up to the hand.
	c.stroke([][2]float64{{cx + 60*s, float64(c.h) + 40*s}, {cx + 40*s, cy + 80*s}}, 62*s, soft, shirtTone.scale(0.85))
	// Fingers behind the card show at its right edge; the palm below it.
	for i := range 4 {
		c.ellipse(cx+96*s, cy+(-8+17*float64(i))*s, 14*s, 8*s, soft, solid(skinTone.scale(0.88)))
	}
	c.ellipse(cx+55*s, cy+78*s, 40*s, 28*s, soft, solid(skinTone.scale(0.92)))
	c.draw(cardFront(k), cx, cy, -4*math.Pi/180, 1)
	// The thumb in front, over the lower edge.
	tx, ty := cx+52*s, cy+58*s
	c.paint(tx-20*s, ty-20*s, tx+20*s, ty+20*s, func(x, y float64) (float32, rgb) {
		// An ellipse tilted along the thumb.
		dx, dy := x-tx, y-ty
		u, v := dx*0.8+dy*0.6, -dx*0.6+dy*0.8
		return shape.Cover(shape.Ellipse(u, v, 0, 0, 17*s, 8.5*s), soft), skinTone
	})
	c.shadeEllipse(tx+4*s, ty+6*s, 12*s, 5*s, 0.9)
}
