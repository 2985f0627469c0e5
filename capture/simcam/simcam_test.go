package simcam

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
)

// vga is one 640x480 camera shared by the tests, so each scene is painted
// once for all of them.
var vga = sync.OnceValue(func() *Camera { return New(Options{}) })

func TestParseScene(t *testing.T) {
	tests := []struct {
		in      string
		want    Scene
		wantErr bool
	}{
		{"empty", SceneEmpty, false},
		{"face", SceneFace, false},
		{"face_with_id", SceneFaceWithID, false},
		{"id_front", SceneIDFront, false},
		{"id_back", SceneIDBack, false},
		{"dark", SceneDark, false},
		{" ID_Front ", SceneIDFront, false},
		{"", "", true},
		{"selfie", "", true},
	}
	for _, tt := range tests {
		got, err := ParseScene(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseScene(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	for _, sc := range Scenes() {
		if got, err := ParseScene(sc.String()); got != sc || err != nil {
			t.Errorf("ParseScene(%q) = %q, %v; want it back", sc, got, err)
		}
	}
}

func TestNew_Defaults(t *testing.T) {
	c := New(Options{})
	want := Options{Width: 640, Height: 480, FPS: 15, Name: "sim"}
	if got := c.Options(); got != want {
		t.Errorf("Options() = %+v, want %+v", got, want)
	}
	if got := c.Name(); got != "sim" {
		t.Errorf("Name() = %q, want %q", got, "sim")
	}
	if got := c.Scene(); got != SceneEmpty {
		t.Errorf("Scene() = %q, want %q", got, SceneEmpty)
	}
}

func TestSetScene(t *testing.T) {
	c := New(Options{})
	c.SetScene(SceneIDBack)
	c.SetScene("nonsense") // ignored
	if got := c.Scene(); got != SceneIDBack {
		t.Errorf("Scene() after SetScene(id_back) and an unknown scene = %q, want %q", got, SceneIDBack)
	}
}

func TestRender_EverySceneAtTheConfiguredSize(t *testing.T) {
	t.Parallel()
	type size struct{ w, h int }
	tests := []struct {
		size   size
		scenes []Scene
	}{
		{size{640, 480}, Scenes()},
		{size{320, 240}, Scenes()},
		{size{1280, 720}, []Scene{SceneFace, SceneIDFront}},
		{size{321, 241}, []Scene{SceneFaceWithID, SceneIDBack}}, // odd sizes
	}
	for _, tt := range tests {
		c := New(Options{Width: tt.size.w, Height: tt.size.h})
		if tt.size == (size{640, 480}) {
			c = vga()
		}
		for _, sc := range tt.scenes {
			t.Run(fmt.Sprintf("%dx%d/%s", tt.size.w, tt.size.h, sc), func(t *testing.T) {
				img := c.render(newRenderer(1), sc, 1700*time.Millisecond)
				if b := img.Bounds(); b.Dx() != tt.size.w || b.Dy() != tt.size.h {
					t.Fatalf("frame is %dx%d, want %dx%d", b.Dx(), b.Dy(), tt.size.w, tt.size.h)
				}
				if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
					t.Errorf("subsampling = %v, want 4:2:0", img.SubsampleRatio)
				}
				f := capture.NewImageFrame(img, time.Now())
				data, err := f.JPEG()
				if err != nil {
					t.Fatal(err)
				}
				dec := capture.NewJPEGFrame(data, 0, 0, time.Time{})
				if dec.Width != tt.size.w || dec.Height != tt.size.h {
					t.Errorf("JPEG is %dx%d, want %dx%d", dec.Width, dec.Height, tt.size.w, tt.size.h)
				}
			})
		}
	}
}

// Later quality checks must be able to tell the scenes apart by what is in
// the picture. Each scene gets bounds on simple measures; a scene drawn
// wrong (no face, no card, wrong side) falls outside them.
func TestScenes_AreMeasurablyDifferent(t *testing.T) {
	t.Parallel()
	type measures struct {
		luma, skinCentre, cardCentre, band, edges, skinLeft, cardRight float64
	}
	c := vga()
	got := map[Scene]measures{}
	frames := map[Scene]*image.YCbCr{}
	for _, sc := range Scenes() {
		img := c.render(newRenderer(1), sc, 0)
		frames[sc] = img
		got[sc] = measures{
			luma:       meanLuma(img),
			skinCentre: share(img, centre, isSkin),
			cardCentre: share(img, centre, isCard),
			band:       share(img, whole, isBand),
			edges:      edgeDensity(img),
			skinLeft:   share(img, region{0.25, 0.3, 0.55, 0.7}, isSkin),
			cardRight:  share(img, region{0.58, 0.42, 0.82, 0.62}, isCard),
		}
	}
	tests := []struct {
		scene Scene
		check string
		ok    func(m measures) bool
	}{
		{SceneEmpty, "no skin in the centre", func(m measures) bool { return m.skinCentre < 0.02 }},
		{SceneEmpty, "no card", func(m measures) bool { return m.cardCentre < 0.02 && m.band < 0.005 }},
		{SceneEmpty, "almost no edges", func(m measures) bool { return m.edges < 0.005 }},
		{SceneFace, "a face fills the centre", func(m measures) bool { return m.skinCentre > 0.3 }},
		{SceneFace, "no card", func(m measures) bool { return m.cardCentre < 0.02 && m.band < 0.005 }},
		{SceneFace, "lit normally", func(m measures) bool { return m.luma > 90 && m.luma < 190 }},
		{SceneFaceWithID, "a face left of centre", func(m measures) bool { return m.skinLeft > 0.3 }},
		{SceneFaceWithID, "a card right of the face", func(m measures) bool { return m.cardRight > 0.3 && m.band > 0.003 }},
		{SceneIDFront, "card fills the centre", func(m measures) bool { return m.cardCentre > 0.5 }},
		{SceneIDFront, "has the coloured header band", func(m measures) bool { return m.band > 0.03 }},
		{SceneIDFront, "no live face", func(m measures) bool { return m.skinCentre < 0.05 }},
		{SceneIDBack, "card fills the centre", func(m measures) bool { return m.cardCentre > 0.5 }},
		{SceneIDBack, "no header band", func(m measures) bool { return m.band < 0.005 }},
		{SceneIDBack, "no portrait or face", func(m measures) bool { return m.skinCentre < 0.02 }},
		{SceneDark, "dark", func(m measures) bool { return m.luma < 40 }},
		{SceneDark, "too dark to see skin", func(m measures) bool { return m.skinCentre < 0.02 }},
	}
	for _, tt := range tests {
		if m := got[tt.scene]; !tt.ok(m) {
			t.Errorf("%s: want %s; measures %+v", tt.scene, tt.check, m)
		}
	}
	// Text, barcode and MRZ make the back the busiest picture, then the
	// front, then the face, then the bare wall.
	order := []Scene{SceneIDBack, SceneIDFront, SceneFace, SceneEmpty}
	for i := 1; i < len(order); i++ {
		a, b := got[order[i-1]].edges, got[order[i]].edges
		if a <= b {
			t.Errorf("edge density %s = %.4f, want more than %s = %.4f", order[i-1], a, order[i], b)
		}
	}
	// And no two scenes look alike pixel for pixel.
	all := Scenes()
	for i, a := range all {
		for _, b := range all[i+1:] {
			if d := lumaMAD(frames[a], frames[b]); d < 8 {
				t.Errorf("mean luma difference %s vs %s = %.1f, want at least 8", a, b, d)
			}
		}
	}
}

// Consecutive frames differ as from a real sensor (noise, sway, light),
// but only a little, so "hold still" checks still pass on the simulator.
func TestRender_ConsecutiveFramesDiffer(t *testing.T) {
	t.Parallel()
	c := vga()
	r := newRenderer(7)
	const dt = time.Second / 15
	for _, sc := range Scenes() {
		t.Run(string(sc), func(t *testing.T) {
			prev := c.render(r, sc, 0)
			for i := 1; i <= 10; i++ {
				cur := c.render(r, sc, time.Duration(i)*dt)
				d := lumaMAD(prev, cur)
				if d < 0.5 || d > 8 {
					t.Errorf("frame %d vs %d: mean luma difference %.2f, want between 0.5 and 8", i-1, i, d)
				}
				prev = cur
			}
		})
	}
}

func TestStream_SetSceneTakesEffectOnNextFrame(t *testing.T) {
	c := New(Options{Width: 320, Height: 240, FPS: 1000, Name: "sim-test"})
	c.SetScene(SceneFace)
	// Each frame asks for the next scene; the following frame must show it.
	plan := []Scene{SceneIDFront, SceneFace, SceneIDBack, SceneEmpty}
	type seen struct {
		card, skin, band float64
		t                time.Time
		w, h             int
	}
	var frames []seen
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := c.Stream(ctx, func(f *capture.Frame) {
		img, err := f.Image()
		if err != nil {
			t.Fatalf("frame image: %v", err)
		}
		y := img.(*image.YCbCr)
		frames = append(frames, seen{share(y, centre, isCard), share(y, centre, isSkin), share(y, whole, isBand), f.Time, f.Width, f.Height})
		if n := len(frames); n <= len(plan) {
			c.SetScene(plan[n-1])
		} else {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Stream = %v, want context.Canceled", err)
	}
	want := append([]Scene{SceneFace}, plan...)
	if len(frames) != len(want) {
		t.Fatalf("got %d frames, want %d", len(frames), len(want))
	}
	for i, f := range frames {
		var ok bool
		switch want[i] {
		case SceneFace:
			ok = f.skin > 0.3 && f.card < 0.02
		case SceneIDFront:
			ok = f.card > 0.5 && f.band > 0.03
		case SceneIDBack:
			ok = f.card > 0.5 && f.band < 0.005
		case SceneEmpty:
			ok = f.card < 0.02 && f.skin < 0.02
		}
		if !ok {
			t.Errorf("frame %d does not look like %s: card %.3f skin %.3f band %.4f", i, want[i], f.card, f.skin, f.band)
		}
		if f.w != 320 || f.h != 240 {
			t.Errorf("frame %d is %dx%d, want 320x240", i, f.w, f.h)
		}
		if i > 0 && f.t.Before(frames[i-1].t) {
			t.Errorf("frame %d time %v is before frame %d's %v", i, f.t, i-1, frames[i-1].t)
		}
	}
}

func TestStream_EndedContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := New(Options{}).Stream(ctx, func(*capture.Frame) { called = true })
	if !errors.Is(err, context.Canceled) || called {
		t.Errorf("Stream(cancelled) = %v, emitted %v; want context.Canceled and no frame", err, called)
	}
}

// Scene changes from other goroutines while a hub and runner consume the
// stream: the race detector is the assertion.
func TestCamera_ConcurrentUse(t *testing.T) {
	c := New(Options{Width: 160, Height: 120, FPS: 1000})
	hub := capture.NewHub()
	r := &capture.Runner{Camera: c, Hub: hub}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				c.SetScene(Scenes()[(i+j)%len(Scenes())])
				_ = c.Scene()
			}
		})
	}
	var after uint64
	for after < 30 {
		f, err := hub.Next(ctx, after)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.JPEG(); err != nil {
			t.Fatal(err)
		}
		after = f.Seq
	}
	wg.Wait()
	st, err := hub.Still(ctx)
	if err != nil || st.Source != "sim" || st.Width != 160 {
		t.Errorf("Still = %dx%d from %q, %v; want 160x120 from sim", st.Width, st.Height, st.Source, err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
}

// BenchmarkRender is the per-frame cost once a scene is painted: what the
// simulator spends for every frame it streams.
func BenchmarkRender(b *testing.B) {
	for _, size := range []struct{ w, h int }{{640, 480}, {1280, 720}} {
		for _, sc := range Scenes() {
			b.Run(fmt.Sprintf("%dx%d/%s", size.w, size.h, sc), func(b *testing.B) {
				c := New(Options{Width: size.w, Height: size.h})
				r := newRenderer(1)
				c.render(r, sc, 0) // paint the static layer outside the loop
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					c.render(r, sc, time.Duration(i)*time.Second/15)
					i++
				}
			})
		}
	}
}

// BenchmarkPaint is the one-off cost of painting a scene's static layer:
// the delay of the first frame after switching to a scene not seen before.
func BenchmarkPaint(b *testing.B) {
	for _, sc := range Scenes() {
		b.Run(fmt.Sprintf("640x480/%s", sc), func(b *testing.B) {
			for b.Loop() {
				newLayer(sc, 640, 480)
			}
		})
	}
}
