package quality

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/quality/qualitytest"
	"github.com/idkiosk/idkiosk/capture/simcam"
)

// measure picks one measure out of an assessment, for "which side of the
// threshold did it land on" checks.
func measure(as *Assessment, name string) (Check, bool) {
	for _, c := range as.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// logMeasures prints what a picture measured (go test -v): the numbers
// behind Default's comments.
func logMeasures(t *testing.T, as *Assessment) {
	t.Helper()
	m := as.Measures
	t.Logf("%dx%d %s: brightness %.1f clipped %.3f contrast %.1f sharpness %.1f coverage %.2f specular %.4f glare %.4f faces %d %v -> %q",
		m.Width, m.Height, as.Target.Kind, m.Brightness, m.Clipped, m.Contrast, m.Sharpness, m.CardCoverage, m.Specular, m.Glare, len(m.Faces), m.Faces, as.Key())
}

type photoCase struct {
	name string
	img  image.Image
	kind Kind
	// want is the guidance key; "" means every check passes.
	want string
	// failed is the check that must land on the wrong side of its
	// threshold (the measure behind want); the other checks before it
	// must pass.
	failed string
}

func (tc photoCase) run(t *testing.T, a *Analyzer, cradle bool) {
	t.Run(tc.name, func(t *testing.T) {
		as := a.Assess(tc.img, Target{Kind: tc.kind, Cradle: cradle})
		logMeasures(t, as)
		if got := as.Key(); got != tc.want {
			t.Errorf("guidance %q, want %q (failed checks %v)", got, tc.want, as.Failed())
		}
		if tc.want == "" {
			if !as.Passed() || len(as.Failed()) != 0 {
				t.Errorf("failed %v, want every check passed", as.Failed())
			}
			return
		}
		found := false
		for _, c := range as.Checks {
			if c.Name != tc.failed || c.Key != tc.want {
				continue
			}
			found = true
			if c.Pass {
				t.Errorf("%s = %.4g passed its limit %.4g (max %v), want it on the wrong side", c.Name, c.Value, c.Limit, c.Max)
			}
		}
		if !found {
			t.Errorf("no %s check with advice %q in %+v", tc.failed, tc.want, as.Checks)
		}
	})
}

// TestAssess_RealPhotos: real face photos as they are pass every check;
// the same photos darkened, over-exposed or blurred fail the one check
// that describes them, with the advice for it; pictures without a
// frontal face are told so.
func TestAssess_RealPhotos(t *testing.T) {
	a := NewAnalyzer(detector(t), Default())
	sample := qualitytest.Sample(t)
	astro := qualitytest.Photo(t, qualitytest.Astronaut)
	cases := []photoCase{
		{"pigo sample", sample, KindFace, "", ""},
		{"pigo sample at 15% light", gain(sample, 0.15), KindFace, KeyTooDark, "brightness"},
		{"pigo sample over-exposed 2.5x", gain(sample, 2.5), KindFace, KeyTooBright, "brightness"},
		{"pigo sample out of focus (sigma 3)", blur(sample, 3), KindFace, KeyBlurry, "sharpness"},
		{"astronaut", astro, KindFace, "", ""},
		{"astronaut at 15% light", gain(astro, 0.15), KindFace, KeyTooDark, "brightness"},
		{"astronaut over-exposed 2.5x", gain(astro, 2.5), KindFace, KeyTooBright, "clipped"},
		{"astronaut out of focus (sigma 3)", blur(astro, 3), KindFace, KeyBlurry, "sharpness"},
		{"astronaut without an ID beside her", astro, KindFaceWithID, KeyShowIDWithFace, "faces"},
		{"two people (pigo's sample twice)", sideBySide(sample, sample), KindFace, KeyOnePerson, "faces"},
		{"a cat", qualitytest.Photo(t, qualitytest.Chelsea), KindFace, KeyNoFace, "faces"},
		{"a man in profile", qualitytest.Photo(t, qualitytest.Camera), KindFace, KeyNoFace, "faces"},
	}
	for _, tc := range cases {
		tc.run(t, a, false)
	}
}

// cardRegion is where the default thresholds expect the card.
var cardRegion = Default().Card

// TestAssess_SimulatedScenes: the simulated camera's scenes, as kioskd
// shows them at each step, at the default preview size and at 720p.
func TestAssess_SimulatedScenes(t *testing.T) {
	a := NewAnalyzer(detector(t), Default())
	for _, size := range [][2]int{{640, 480}, {1280, 720}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			w, h := size[0], size[1]
			// Blur in working pixels: the measures run at 640 wide.
			k := float64(w) / 640
			face := simFrame(t, w, h, simcam.SceneFace)
			withID := simFrame(t, w, h, simcam.SceneFaceWithID)
			front := simFrame(t, w, h, simcam.SceneIDFront)
			back := simFrame(t, w, h, simcam.SceneIDBack)
			cases := []photoCase{
				{"face", face, KindFace, "", ""},
				{"face with the ID beside it", withID, KindFaceWithID, "", ""},
				{"ID photo side in the cradle", front, KindIDPhotoSide, "", ""},
				{"ID name side in the cradle", back, KindIDNameSide, "", ""},
				{"the dark scene", simFrame(t, w, h, simcam.SceneDark), KindFace, KeyTooDark, "brightness"},
				{"the empty booth", simFrame(t, w, h, simcam.SceneEmpty), KindFace, KeyNoFace, "faces"},
				{"face but no ID beside it", face, KindFaceWithID, KeyShowIDWithFace, "faces"},
				{"name side up where the photo side is wanted", back, KindIDPhotoSide, KeyShowPhotoSide, "portrait"},
				{"blurred face", blur(face, 3*k), KindFace, KeyBlurry, "sharpness"},
				{"blurred card", blur(front, 2*k), KindIDPhotoSide, KeyBlurry, "sharpness"},
			}
			for _, tc := range cases {
				tc.run(t, a, true)
			}
		})
	}
}

// TestAssess_Card: an ID scene with and without the card, the card not
// seated, and glare: one washed-out patch versus a laminate's sparkle.
func TestAssess_Card(t *testing.T) {
	a := NewAnalyzer(detector(t), Default())
	front := simFrame(t, 640, 480, simcam.SceneIDFront)
	back := simFrame(t, 640, 480, simcam.SceneIDBack)
	// The cradle floor measured beside the card.
	floor := color.Gray{Y: 40}
	emptyCradle := fill(front, cardRegion, floor)
	// A card pushed a quarter of its width out of the outline.
	pushed := shift(front, 128, 0)
	cases := []photoCase{
		{"photo side", front, KindIDPhotoSide, "", ""},
		{"empty cradle", emptyCradle, KindIDPhotoSide, KeyPlaceCard, "card_present"},
		{"empty cradle, name side step", fill(back, cardRegion, floor), KindIDNameSide, KeyPlaceCard, "card_present"},
		{"card pushed out", pushed, KindIDPhotoSide, KeyPlaceCard, "card_coverage"},
		{"lamp reflected on the card", withGlare(front, 0.62, 0.55, 0.06, 0.05), KindIDPhotoSide, KeyGlare, "glare"},
		{"lamp reflected on the name side", withGlare(back, 0.5, 0.45, 0.06, 0.05), KindIDNameSide, KeyGlare, "glare"},
		// 400 glints of 2x2 px: 0.8% of the card clipped, none of it a
		// blob big enough to hide a character.
		{"laminate sparkle", withSparkle(front, cardRegion, 400, 2), KindIDPhotoSide, "", ""},
		{"laminate sparkle on the name side", withSparkle(back, cardRegion, 400, 2), KindIDNameSide, "", ""},
		// One small highlight, under GlareMax.
		{"one small highlight", withGlare(front, 0.62, 0.55, 0.012, 0.012), KindIDPhotoSide, "", ""},
	}
	for _, tc := range cases {
		tc.run(t, a, true)
	}
	// Held up rather than in the cradle, a card that does not fill the
	// outline is brought closer, not pushed in.
	photoCase{"card held too far", pushed, KindIDPhotoSide, KeyFitCard, "card_coverage"}.run(t, a, false)

	// Sparkle is counted as specular highlights, not glare; the patch is
	// both.
	sparkle := a.Assess(withSparkle(front, cardRegion, 400, 2), Target{Kind: KindIDPhotoSide, Cradle: true}).Measures
	if sparkle.Specular < Default().GlareMax || sparkle.Glare != 0 {
		t.Errorf("sparkle: specular %.4f glare %.4f, want specular above %.4f and no glare", sparkle.Specular, sparkle.Glare, Default().GlareMax)
	}
}

// TestAssess_Thresholds: moving a threshold moves the verdict, so the
// config is really what decides.
func TestAssess_Thresholds(t *testing.T) {
	det := detector(t)
	face := simFrame(t, 640, 480, simcam.SceneFace)
	base := NewAnalyzer(det, Default()).Assess(face, Target{Kind: KindFace})
	if !base.Passed() {
		t.Fatalf("the face scene fails %v with the defaults", base.Failed())
	}
	m := base.Measures
	tests := []struct {
		name string
		set  func(*Thresholds)
		want string
	}{
		{"brightness min above the picture", func(th *Thresholds) { th.BrightnessMin = m.Brightness + 1 }, KeyTooDark},
		{"brightness max below the picture", func(th *Thresholds) { th.BrightnessMax = m.Brightness - 1 }, KeyTooBright},
		{"contrast min above the picture", func(th *Thresholds) { th.ContrastMin = m.Contrast + 1 }, KeyLowContrast},
		{"face min size above the face", func(th *Thresholds) { th.FaceMinSize = m.Faces[0].Size + 0.15 }, KeyMoveCloser},
		{"face max size below the face", func(th *Thresholds) { th.FaceMaxSize = m.Faces[0].Size - 0.15 }, KeyMoveBack},
		{"sharpness min above the face", func(th *Thresholds) { th.SharpnessMin = m.Sharpness * 1.1 }, KeyBlurry},
		{"face score above every detection", func(th *Thresholds) { th.FaceMinScore = 1e6 }, KeyNoFace},
		{"offset limit of nothing", func(th *Thresholds) { th.FaceMaxOffset = 0 }, KeyCentreFace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := Default()
			tt.set(&th)
			if got := NewAnalyzer(det, th).Assess(face, Target{Kind: KindFace}).Key(); got != tt.want {
				t.Errorf("guidance %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTracker_StableAfterWindow: consecutive frames of a still card are
// ready from the second frame and stable once the window has passed; a
// jump resets the run and asks to hold still. (The card's back: no face
// detector in the loop, so only the tracker is under test.)
func TestTracker_StableAfterWindow(t *testing.T) {
	a := NewAnalyzer(detector(t), Default())
	frames := simFrames(t, 640, 480, simcam.SceneIDBack, 6)
	tr := a.NewTracker(300 * time.Millisecond)
	t0 := time.Unix(1000, 0)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 100 * time.Millisecond) }
	target := Target{Kind: KindIDNameSide, Cradle: true}

	got := tr.Observe(a.Assess(frames[0], target), at(0))
	if got.Ready || got.Stable || got.Key != "" {
		t.Errorf("first frame: %+v, want not ready (nothing to compare with) and no advice", got)
	}
	// Ready from frame 1; stable once 300 ms have passed since (frame 4).
	for i := 1; i <= 3; i++ {
		got = tr.Observe(a.Assess(frames[i], target), at(i))
		if !got.Ready || got.Stable {
			t.Errorf("frame %d: %+v, want ready, not yet stable", i, got)
		}
	}
	got = tr.Observe(a.Assess(frames[4], target), at(4))
	if !got.Stable {
		t.Errorf("frame 4 (300 ms after the first ready frame): %+v, want stable", got)
	}

	// The card moves: 16 px in 100 ms.
	as := a.Assess(shift(frames[5], 16, 0), target)
	got = tr.Observe(as, at(5))
	if got.Ready || got.Stable || got.Key != KeyHoldStill {
		t.Errorf("after a jump: %+v, want %q", got, KeyHoldStill)
	}
	if c, ok := measure(as, "stillness"); !ok || c.Pass || c.Value <= Default().StillnessMax {
		t.Errorf("stillness check %+v, want a failing one above %.1f", c, Default().StillnessMax)
	}
	// Still again: ready, but the window starts over.
	got = tr.Observe(a.Assess(shift(frames[5], 16, 0), target), at(6))
	if !got.Ready || got.Stable {
		t.Errorf("first still frame after the jump: %+v, want ready, not yet stable", got)
	}

	// A new target starts from nothing.
	got = tr.Observe(a.Assess(frames[5], Target{Kind: KindIDNameSide}), at(7))
	if got.Ready {
		t.Errorf("first frame of a new target: %+v, want not ready", got)
	}
}

// TestTracker_SlowFramesAreScaled: the same sway judged at a third of the
// frame rate is the same speed, not three times the motion.
func TestTracker_SlowFramesAreScaled(t *testing.T) {
	a := NewAnalyzer(detector(t), Default())
	card := simFrame(t, 640, 480, simcam.SceneIDBack)
	target := Target{Kind: KindIDNameSide, Cradle: true}
	still := func(dt time.Duration) float64 {
		tr := a.NewTracker(0)
		tr.Observe(a.Assess(card, target), time.Unix(0, 0))
		as := a.Assess(shift(card, 6, 0), target)
		tr.Observe(as, time.Unix(0, 0).Add(dt))
		c, _ := measure(as, "stillness")
		return c.Value
	}
	fast, slow := still(100*time.Millisecond), still(300*time.Millisecond)
	if math.Abs(slow-fast/3) > 1e-9 || fast <= Default().StillnessMax {
		t.Errorf("6 px in 100 ms: %.2f, in 300 ms: %.2f; want the second a third of the first, the first above %.1f", fast, slow, Default().StillnessMax)
	}
}

// TestTracker_FlickerIsNotMotion: a light that dims by 10% between frames
// is not movement.
func TestTracker_FlickerIsNotMotion(t *testing.T) {
	a := NewAnalyzer(detector(t), Default())
	card := simFrame(t, 640, 480, simcam.SceneIDBack)
	target := Target{Kind: KindIDNameSide, Cradle: true}
	tr := a.NewTracker(0)
	tr.Observe(a.Assess(card, target), time.Unix(0, 0))
	as := a.Assess(gain(card, 0.9), target)
	got := tr.Observe(as, time.Unix(0, 1e8))
	if c, _ := measure(as, "stillness"); !c.Pass || !got.Ready {
		t.Errorf("stillness %.2f (%+v), want under %.1f and ready", c.Value, got, Default().StillnessMax)
	}
}

func TestDetector_RejectsForeignFiles(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", []byte("facefinder")},
		{"header asks for gigabytes", append(make([]byte, 8), 6, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f)},
		{"truncated", func() []byte {
			b := append(make([]byte, 8), 6, 0, 0, 0, 2, 0, 0, 0)
			return append(b, make([]byte, 100)...)
		}()},
		{"a JPEG", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d, err := NewDetector(tt.b); err == nil {
				t.Errorf("NewDetector = %v, want an error", d)
			}
		})
	}
	if _, err := LoadDetector(t.TempDir() + "/missing"); err == nil {
		t.Errorf("LoadDetector of a missing file: no error")
	}
}

// TestLuma_SameForEveryPixelFormat: the measures do not depend on how the
// picture is stored.
func TestLuma_SameForEveryPixelFormat(t *testing.T) {
	y := simFrame(t, 320, 240, simcam.SceneFace)
	rgb := rgba(y)
	gray := image.NewGray(rgb.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = y.Y[y.YOffset(i%320, i/320)]
	}
	ref := lumaPlane(y, 2)
	for name, img := range map[string]image.Image{"RGBA": rgb, "Gray": gray, "NRGBA": nrgba(rgb), "Paletted-like (generic)": generic{rgb}} {
		p := lumaPlane(img, 2)
		var worst int
		for i := range p.pix {
			worst = max(worst, absDiff(p.pix[i], ref.pix[i]))
		}
		// RGB round trips through 4:2:0 chroma lose a level or two.
		if p.w != ref.w || p.h != ref.h || worst > 3 {
			t.Errorf("%s: %dx%d, worst difference %d from the YCbCr plane, want %dx%d within 3", name, p.w, p.h, worst, ref.w, ref.h)
		}
	}
}

func nrgba(img *image.RGBA) *image.NRGBA {
	return &image.NRGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
}

// generic hides the concrete type, to exercise the slow path.
type generic struct{ image.Image }

func TestWorkFactor(t *testing.T) {
	tests := []struct{ w, h, want int }{
		{640, 480, 1}, {320, 400, 1}, {1280, 720, 2}, {1920, 1080, 3}, {2592, 1944, 5}, {641, 480, 2},
	}
	for _, tt := range tests {
		if got := workFactor(tt.w, tt.h, workW, workH); got != tt.want {
			t.Errorf("workFactor(%d, %d) = %d, want %d", tt.w, tt.h, got, tt.want)
		}
	}
}

// TestGlare_Blobs checks the blob rule on a drawn plane: one 4x4 blob
// counts, sixteen single pixels do not, and blobs do not join across the
// row wrap.
func TestGlare_Blobs(t *testing.T) {
	p := &plane{w: 20, h: 20, pix: make([]uint8, 400)}
	set := func(x, y int) { p.pix[y*20+x] = 255 }
	for y := 2; y < 6; y++ {
		for x := 2; x < 6; x++ {
			set(x, y)
		}
	}
	for i := range 16 {
		set(10+2*(i%4), 10+2*(i/4)) // isolated pixels
	}
	set(19, 15) // the end of one row and the start of the next...
	set(0, 16)  // ...are not neighbours
	spec, glare := p.glare(p.whole(), 250, 4)
	if want := 34.0 / 400; math.Abs(spec-want) > 1e-9 {
		t.Errorf("specular %.4f, want %.4f", spec, want)
	}
	if want := 16.0 / 400; math.Abs(glare-want) > 1e-9 {
		t.Errorf("glare %.4f, want %.4f (only the 4x4 blob)", glare, want)
	}
}

func TestLaplacian_FlatIsZeroEdgesAreNot(t *testing.T) {
	flat := &plane{w: 16, h: 16, pix: make([]uint8, 256)}
	for i := range flat.pix {
		flat.pix[i] = 128
	}
	if v := flat.laplacianVar(flat.whole()); v != 0 {
		t.Errorf("flat plane: %g, want 0", v)
	}
	edge := &plane{w: 16, h: 16, pix: make([]uint8, 256)}
	for i := range edge.pix {
		if i%16 >= 8 {
			edge.pix[i] = 200
		}
	}
	if v := edge.laplacianVar(edge.whole()); v <= 0 {
		t.Errorf("an edge: %g, want > 0", v)
	}
}
