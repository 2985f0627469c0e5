package quality

import (
	"image"
	"math"
)

// Working size. Every measure but the frame size runs on luma box-scaled
// by an integer factor to fit 640x480: the preview at 640x480 as it is,
// 1280x720 at 640x360. Faces and print stay large enough to judge there,
// and the cost of a frame no longer grows with the camera's resolution.
const (
	workW = 640
	workH = 480
	// thumbW is the width of the thumbnails motion is measured on: big
	// enough to see a head move by a few percent of the frame, small
	// enough that sensor noise averages out.
	thumbW = 80
	// minWindow is the smallest face box pigo is asked for, in working
	// pixels; its cascade is trained on faces from about 20 pixels up.
	minWindow = 20
)

// Measures are the numbers one frame was judged on.
type Measures struct {
	Width, Height int // the frame, pixels
	Scale         int // the integer downscale the measures ran at
	// Brightness and Contrast: mean and standard deviation of luma over
	// the frame (faces) or the card outline (IDs).
	Brightness, Contrast float64
	// Clipped is the share of the frame at or above the glare level, for
	// faces: an over-exposed picture.
	Clipped float64
	// Sharpness is the variance of the Laplacian over the learner's face
	// box (faces; the frame if there is none) or the card outline (IDs).
	Sharpness float64
	// Faces are the faces found, biggest first. For IDs, only faces inside
	// the card outline are looked for: the portrait.
	Faces []Face
	// CardCoverage is the share of the card outline the card covers (IDs).
	CardCoverage float64
	// Specular is the share of clipped pixels in the glare region (the card
	// outline, or the ID's portrait held beside the face); Glare the share
	// in clipped blobs big enough to hide print.
	Specular, Glare float64
	// Stillness is the motion since the previous preview frame; NaN for a
	// single picture (see Tracker).
	Stillness float64
}

// Check is one test a photo must pass: Value against Limit, a maximum if
// Max is set, else a minimum.
type Check struct {
	Name  string
	Value float64
	Limit float64
	Max   bool
	Pass  bool
	// Key is the guidance that fixes a failure (one of the Key constants).
	Key string
}

// Assessment is the verdict on one frame.
type Assessment struct {
	Target   Target
	Measures Measures
	// Checks in order of what to fix first.
	Checks []Check
	thumb  *plane
}

// Passed reports whether every check passed.
func (a *Assessment) Passed() bool { return a.Key() == "" }

// Key returns the guidance for the first failed check, or "" if all pass.
func (a *Assessment) Key() string {
	for _, c := range a.Checks {
		if !c.Pass {
			return c.Key
		}
	}
	return ""
}

// Failed lists the names of the failed checks.
func (a *Assessment) Failed() []string {
	var out []string
	for _, c := range a.Checks {
		if !c.Pass {
			out = append(out, c.Name)
		}
	}
	return out
}

// Analyzer measures frames and judges them against its thresholds. It is
// safe for concurrent use.
type Analyzer struct {
	det *Detector
	th  Thresholds
}

// NewAnalyzer returns an analyzer. A nil detector finds no faces, so face
// checks fail: it is for tests of the other measures.
func NewAnalyzer(det *Detector, th Thresholds) *Analyzer {
	return &Analyzer{det: det, th: th}
}

// Thresholds returns the limits a applies.
func (a *Analyzer) Thresholds() Thresholds { return a.th }

// Assess measures img and judges it as target t.
func (a *Analyzer) Assess(img image.Image, t Target) *Assessment {
	b := img.Bounds()
	f := workFactor(b.Dx(), b.Dy(), workW, workH)
	p := lumaPlane(img, f)
	m := Measures{Width: b.Dx(), Height: b.Dy(), Scale: f, Stillness: math.NaN()}
	as := &Assessment{Target: t, Measures: m, thumb: p.downscale(max(1, p.w/thumbW))}
	if p.w < 2*minWindow || p.h < 2*minWindow {
		as.Checks = []Check{{Name: "size", Value: float64(min(b.Dx(), b.Dy())), Limit: 2 * minWindow, Key: KeyMoveCloser}}
		return as
	}
	if t.Kind.IsID() {
		a.assessID(p, as)
	} else {
		a.assessFace(p, as)
	}
	return as
}

func (a *Analyzer) assessFace(p *plane, as *Assessment) {
	th, m := a.th, &as.Measures
	m.Brightness, m.Contrast = p.meanStd(p.whole())
	m.Clipped = p.clipped(p.whole(), uint8(th.GlareLevel))
	two := as.Target.Kind == KindFaceWithID
	// Look for faces down to half the smallest acceptable size, so a face
	// that is too small is "move closer" rather than "no face". For the
	// ID beside the face, down to the smallest acceptable portrait and no
	// further: the smallest windows cost the most (their number grows
	// with 1/size²), and a portrait too small to find is advised the same
	// way as a missing one ("show your ID next to your face").
	minFace := th.FaceMinSize / 2
	if two {
		minFace = min(minFace, th.PortraitMinSize)
	}
	m.Faces = a.det.detect(p, p.whole(), max(minWindow, int(minFace*float64(p.h))), p.h, th.FaceMinScore)

	sharpRegion := p.whole()
	var learner Face
	if len(m.Faces) > 0 {
		learner = m.Faces[0]
		sharpRegion = faceBox(p, learner, 1)
	}
	m.Sharpness = p.laplacianVar(sharpRegion)

	c := &checks{}
	c.min("brightness", m.Brightness, th.BrightnessMin, KeyTooDark)
	c.max("brightness", m.Brightness, th.BrightnessMax, KeyTooBright)
	c.max("clipped", m.Clipped, th.ClippedMax, KeyTooBright)
	c.min("contrast", m.Contrast, th.ContrastMin, KeyLowContrast)
	n := float64(len(m.Faces))
	c.min("faces", n, 1, KeyNoFace)
	if two {
		c.max("faces", n, 2, KeyOnePerson)
	} else {
		c.max("faces", n, 1, KeyOnePerson)
	}
	if len(m.Faces) > 0 {
		c.min("face_size", learner.Size, th.FaceMinSize, KeyMoveCloser)
		c.max("face_size", learner.Size, th.FaceMaxSize, KeyMoveBack)
		off := math.Max(math.Abs(learner.X-0.5), math.Abs(learner.Y-0.5))
		c.max("face_offset", off, th.FaceMaxOffset, KeyCentreFace)
	}
	if two {
		c.min("faces", n, 2, KeyShowIDWithFace)
		if len(m.Faces) >= 2 {
			portrait := m.Faces[len(m.Faces)-1]
			c.min("portrait_size", portrait.Size, th.PortraitMinSize, KeyHoldIDCloser)
			// Glare on the portrait hides what the reviewer compares.
			r := faceBox(p, portrait, 2)
			m.Specular, m.Glare = p.glare(r, uint8(th.GlareLevel), blobPixels(r, th.GlareMinBlob))
			c.max("glare", m.Glare, th.GlareMax, KeyGlare)
		}
	}
	c.min("sharpness", m.Sharpness, th.SharpnessMin, KeyBlurry)
	as.Checks = c.list
}

func (a *Analyzer) assessID(p *plane, as *Assessment) {
	th, m := a.th, &as.Measures
	card := p.frac(th.Card.Left, th.Card.Top, th.Card.Right, th.Card.Bottom)
	m.Brightness, m.Contrast = p.meanStd(card)
	m.CardCoverage, _ = p.coverage(card)
	m.Specular, m.Glare = p.glare(card, uint8(th.GlareLevel), blobPixels(card, th.GlareMinBlob))
	m.Sharpness = p.laplacianVar(card)

	c := &checks{}
	// No card, no point judging the light on the cradle floor.
	c.min("card_present", m.CardCoverage, cardPresentMin, KeyPlaceCard)
	c.min("brightness", m.Brightness, th.BrightnessMin, KeyTooDark)
	c.max("brightness", m.Brightness, th.BrightnessMax, KeyTooBright)
	c.min("contrast", m.Contrast, th.ContrastMin, KeyLowContrast)
	fit := KeyFitCard
	if as.Target.Cradle {
		fit = KeyPlaceCard
	}
	c.min("card_coverage", m.CardCoverage, th.CardMinCoverage, fit)
	if as.Target.Kind == KindIDPhotoSide {
		// An ID-1 card's portrait is about half the card's height (ISO/IEC
		// 18013-1 and ICAO 9303 TD1 layouts put it at 26-35 mm of 54); the
		// face inside it is a good part of that.
		h := float64(card.dy())
		m.Faces = a.det.detect(p, card, max(minWindow, int(0.15*h)), int(0.8*h), th.FaceMinScore)
		c.min("portrait", float64(len(m.Faces)), 1, KeyShowPhotoSide)
	}
	c.max("glare", m.Glare, th.GlareMax, KeyGlare)
	c.min("sharpness", m.Sharpness, th.CardSharpnessMin, KeyBlurry)
	as.Checks = c.list
}

// faceBox is the square of a face's detection box scaled by k, in p.
func faceBox(p *plane, f Face, k float64) rect {
	half := f.Size * float64(p.h) * k / 2
	cx, cy := f.X*float64(p.w), f.Y*float64(p.h)
	return p.clip(rect{int(cx - half), int(cy - half), int(cx + half + 0.5), int(cy + half + 0.5)})
}

// blobPixels turns a share of r into a pixel count, at least 2 so a single
// hot pixel is never glare.
func blobPixels(r rect, share float64) int {
	return max(2, int(math.Ceil(share*float64(r.area()))))
}

// checks builds the ordered list of an assessment.
type checks struct{ list []Check }

func (c *checks) min(name string, v, limit float64, key string) {
	c.list = append(c.list, Check{Name: name, Value: v, Limit: limit, Pass: v >= limit, Key: key})
}

func (c *checks) max(name string, v, limit float64, key string) {
	c.list = append(c.list, Check{Name: name, Value: v, Limit: limit, Max: true, Pass: v <= limit, Key: key})
}
