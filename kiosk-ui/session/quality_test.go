package session

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/quality"
	"github.com/idkiosk/idkiosk/capture/quality/qualitytest"
	"github.com/idkiosk/idkiosk/capture/simcam"
	"github.com/idkiosk/idkiosk/sync/api"
)

// The photo checks end to end inside the session: the simulated camera
// streams real frames into a real hub, the real analyzer (pigo's cascade
// from the module cache) judges them, and the session's clock is fake, so
// the manual button's delay is stepped, not waited for.

// scene is the simulated camera feeding the rig's hub.
type scene struct {
	cam *simcam.Camera
	hub *capture.Hub
}

// SetScene switches the camera's scene.
func (sc *scene) SetScene(s simcam.Scene) { sc.cam.SetScene(s) }

// show switches the scene and returns once a frame of it has been
// published: the frame being rendered at the switch still shows the old
// scene, the one after it the new.
func (sc *scene) show(t *testing.T, s simcam.Scene) {
	t.Helper()
	sc.cam.SetScene(s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := sc.hub.Next(ctx, 0)
	if err == nil {
		f, err = sc.hub.Next(ctx, f.Seq)
	}
	if err == nil {
		_, err = sc.hub.Next(ctx, f.Seq)
	}
	if err != nil {
		t.Fatalf("no frame of scene %s: %v", s, err)
	}
}

// withQuality wires photo checks with the simulated camera as the only
// source of pictures: the live preview and every still. It returns the
// camera, to switch scenes.
func withQuality(t *testing.T, change ...func(*QualityConfig)) (rigOption, *scene) {
	t.Helper()
	det, err := quality.LoadDetector(qualitytest.Cascade(t))
	if err != nil {
		t.Fatal(err)
	}
	cam := simcam.New(simcam.Options{FPS: 30})
	hub := capture.NewHub()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		cam.Stream(ctx, hub.Publish)
	}()
	t.Cleanup(func() { cancel(); <-done })
	qc := QualityConfig{
		// Judge every frame; the frames' own times drive the window.
		GuidanceFPS:  1000,
		StableWindow: 200 * time.Millisecond,
		Analyzer:     "test",
	}
	for _, f := range change {
		f(&qc)
	}
	return func(c *Config, d *Deps, _ *rig) {
		c.Quality = qc
		d.Camera = hub
		d.Frames = hub
		d.Assessor = quality.NewAnalyzer(det, quality.Default())
		d.PIN = &fakePIN{pin: testStaffPIN}
	}, &scene{cam: cam, hub: hub}
}

// placeCardShowing puts a card in the cradle with the camera showing sc,
// and waits for the cradle's capture to be judged.
func (r *rig) placeCardShowing(cam *scene, sc simcam.Scene) State {
	r.t.Helper()
	r.cradle.set(true)
	r.wait("capture started", func(st State) bool { return st.Capturing && st.Cradle.Present })
	cam.show(r.t, sc)
	r.clock.Advance(DefaultCradleSettle)
	return r.waitLong("the cradle capture judged", func(st State) bool { return !st.Capturing })
}

// toFaceStep walks to the face step with the camera on the empty booth,
// so nothing is captured before the test chooses a scene.
func (r *rig) toFaceStep(cam *scene, twoSided bool) {
	r.t.Helper()
	cam.SetScene(simcam.SceneEmpty)
	r.toFace(twoSided)
	r.waitStep(StepFace)
}

func guidance(st State) string {
	if st.Quality == nil {
		return "<no quality state>"
	}
	return st.Quality.Guidance
}

func (r *rig) waitGuidance(key string) State {
	r.t.Helper()
	return r.waitLong("guidance "+key, func(st State) bool { return guidance(st) == key })
}

// waitLong is rig.wait with room for the real analyzer under the race
// detector on a busy machine: each judged frame can take a few hundred
// milliseconds there.
func (r *rig) waitLong(what string, cond func(State) bool) State {
	r.t.Helper()
	return r.waitFor(what, 60*time.Second, cond)
}

// waitAutoPhoto waits for the photo the kiosk takes by itself.
func (r *rig) waitAutoPhoto() State {
	r.t.Helper()
	return r.waitLong("a photo taken by the kiosk", func(st State) bool { return st.Pending != nil && !st.Capturing })
}

// TestQuality_GuidanceThenAutoCapture: in the dark the learner is told so
// and nothing is taken; in good light the kiosk captures on its own, once.
func TestQuality_GuidanceThenAutoCapture(t *testing.T) {
	opt, cam := withQuality(t)
	r := newRig(t, opt)
	r.toFaceStep(cam, false)
	r.waitGuidance(quality.KeyNoFace)

	cam.SetScene(simcam.SceneDark)
	st := r.waitGuidance(quality.KeyTooDark)
	if st.Pending != nil || st.Capturing || st.Quality.Ready {
		t.Errorf("in the dark: pending %v capturing %v ready %v, want nothing taken", st.Pending, st.Capturing, st.Quality.Ready)
	}

	cam.SetScene(simcam.SceneFace)
	st = r.waitAutoPhoto()
	if st.Message != nil {
		t.Errorf("message %+v after a good auto-capture, want none", st.Message)
	}
	r.do(Action{Type: ActAcceptPhoto})
	p := r.s.photos[api.PhotoFace]
	if p == nil || p.quality == nil {
		t.Fatalf("accepted face photo has no quality report")
	}
	q := p.quality
	if !q.Passed || q.Capture != howAuto || q.Attempts != 1 || q.Failed != 0 || q.Override != nil {
		t.Errorf("report %+v, want passed, auto, 1 attempt, none failed, no override", q)
	}
	if !slices.ContainsFunc(q.Checks, func(c api.QualityCheck) bool { return c.Name == "faces" && c.Pass }) {
		t.Errorf("report checks %+v lack a passing faces check", q.Checks)
	}
}

// TestQuality_ManualButtonAfterDelay: the capture button is offered only
// after ManualAfter on the step; a capture sent earlier (from the API) is
// judged like any other.
func TestQuality_ManualButtonAfterDelay(t *testing.T) {
	opt, cam := withQuality(t)
	r := newRig(t, opt)
	r.toFaceStep(cam, false)
	cam.SetScene(simcam.SceneDark)
	st := r.waitGuidance(quality.KeyTooDark)
	if st.Quality.Manual {
		t.Errorf("manual button offered at once")
	}
	r.do(Action{Type: ActCapture})
	st = r.waitLong("the early capture judged", func(st State) bool { return !st.Capturing && st.Quality.Failed == 1 })
	if st.Pending != nil {
		t.Errorf("an early capture in the dark gave a photo to accept")
	}
	r.clock.Advance(DefaultManualAfter - time.Millisecond)
	if r.s.State().Quality.Manual {
		t.Errorf("manual button offered before %s", DefaultManualAfter)
	}
	r.clock.Advance(time.Millisecond)
	if !r.s.State().Quality.Manual {
		t.Fatalf("manual button not offered after %s", DefaultManualAfter)
	}
	r.do(Action{Type: ActCapture})
	st = r.waitLong("the manual capture judged", func(st State) bool { return !st.Capturing && st.Quality.Failed == 2 })
	if st.Pending != nil || st.Message == nil || st.Message.Key != quality.KeyTooDark {
		t.Errorf("a dark manual capture: pending %v message %+v, want no photo and %q", st.Pending, st.Message, quality.KeyTooDark)
	}
}

// failCaptures takes n manual captures of the current (bad) scene; each
// must fail and leave nothing to accept.
func (r *rig) failCaptures(n int, key string) State {
	r.t.Helper()
	var st State
	for range n {
		before := r.s.State().Quality.Failed
		r.do(Action{Type: ActCapture})
		st = r.waitLong("a failed capture", func(st State) bool { return !st.Capturing && st.Quality.Failed == before+1 })
		if st.Pending != nil || st.Message == nil || st.Message.Key != key {
			r.t.Fatalf("failed capture %d: pending %v message %+v, want no photo and %q", before+1, st.Pending, st.Message, key)
		}
		if _, err := r.s.Do(context.Background(), Action{Type: ActAcceptPhoto}); !errors.Is(err, ErrNotAllowed) {
			r.t.Fatalf("accept after a failed capture: %v, want ErrNotAllowed", err)
		}
	}
	return st
}

// TestQuality_StaffOverrideIsTheOnlyWayPast: a photo that fails never
// becomes acceptable by the learner; after three failures staff can unlock
// staff mode with the PIN and accept it with a name and a reason, and the
// profile records it.
func TestQuality_StaffOverrideIsTheOnlyWayPast(t *testing.T) {
	opt, cam := withQuality(t)
	r := newRig(t, opt)
	r.toFaceStep(cam, false)
	cam.SetScene(simcam.SceneDark)
	r.waitGuidance(quality.KeyTooDark)
	r.clock.Advance(DefaultManualAfter)

	override := Action{Type: ActStaffOverride, Staff: "J. Smith #42", Reason: "Learner's skin tone under the booth light; checked by eye"}
	st := r.failCaptures(2, quality.KeyTooDark)
	if st.Quality.Override {
		t.Errorf("override offered after 2 failures")
	}
	if _, err := r.s.Do(context.Background(), override); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("override after 2 failures: %v, want ErrNotAllowed", err)
	}
	if _, err := r.s.Do(context.Background(), Action{Type: ActStaffUnlock, PIN: testStaffPIN}); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("staff PIN on the face step with no override offered: %v, want ErrNotAllowed", err)
	}
	st = r.failCaptures(1, quality.KeyTooDark)
	if !st.Quality.Override {
		t.Fatalf("override not offered after 3 failures")
	}

	refused := []struct {
		name string
		a    Action
		key  string
	}{
		{"staff mode locked", override, KeyStaffUnlockFirst},
		{"no staff name", Action{Type: ActStaffOverride, Staff: "  ", Reason: "because"}, KeyOverrideStaffMissing},
		{"no reason", Action{Type: ActStaffOverride, Staff: "x", Reason: " ok "}, KeyOverrideReasonMissing},
	}
	for i, tt := range refused {
		if i == 1 {
			r.unlockStaff(testStaffPIN)
		}
		st, err := r.s.Do(context.Background(), tt.a)
		if !errors.Is(err, ErrInvalidInput) || st.Message == nil || st.Message.Key != tt.key || st.Pending != nil {
			t.Errorf("%s: err %v message %+v pending %v, want %q and no photo", tt.name, err, st.Message, st.Pending, tt.key)
		}
	}

	overrideAt := r.clock.Now().UTC()
	st = r.do(override)
	if st.Pending == nil {
		t.Fatalf("override: no pending photo")
	}
	if st.Staff == nil || st.Staff.Unlocked {
		t.Errorf("staff mode after the override: %+v, want locked again", st.Staff)
	}
	r.do(Action{Type: ActAcceptPhoto})
	r.waitStep(StepIDPhoto)
	if st := r.placeCardShowing(cam, simcam.SceneIDFront); st.Pending == nil {
		t.Fatalf("the card in the cradle was not taken: message %+v", st.Message)
	}
	r.do(Action{Type: ActAcceptPhoto})
	r.waitStep(StepReview)
	r.do(Action{Type: ActSubmit})
	r.waitStep(StepReceipt)

	saved := r.saver.Copies()
	if len(saved) != 1 || saved[0].Quality == nil {
		t.Fatalf("saved %d profiles, quality %+v; want one with a report", len(saved), saved)
	}
	rep := saved[0].Quality
	face := rep.Photo(api.PhotoFace)
	if face == nil || face.Override == nil {
		t.Fatalf("face report %+v, want an override", face)
	}
	o := face.Override
	if o.Staff != "J. Smith #42" || o.Reason != override.Reason || !o.At.Equal(overrideAt) {
		t.Errorf("override %+v, want who, why and when", o)
	}
	if face.Passed || face.Attempts != 3 || face.Failed != 3 || !slices.Contains(o.Failed, "brightness") {
		t.Errorf("face report passed %v attempts %d failed %d override.failed %v, want failed, 3, 3, brightness", face.Passed, face.Attempts, face.Failed, o.Failed)
	}
	id := rep.Photo(api.PhotoIDPhotoSide)
	if id == nil || !id.Passed || id.Capture != howCradle || id.Override != nil {
		t.Errorf("ID report %+v, want passed from the cradle", id)
	}
	if err := rep.Validate(); err != nil {
		t.Errorf("report does not validate: %v", err)
	}
}

// TestQuality_NoOverrideWithoutStaffPIN: with no staff PIN configured
// there is no staff mode and the override does not exist, however often a
// capture fails.
func TestQuality_NoOverrideWithoutStaffPIN(t *testing.T) {
	opt, cam := withQuality(t)
	r := newRig(t, opt, func(_ *Config, d *Deps, _ *rig) { d.PIN = nil })
	r.toFaceStep(cam, false)
	cam.SetScene(simcam.SceneDark)
	r.waitGuidance(quality.KeyTooDark)
	r.clock.Advance(DefaultManualAfter)
	st := r.failCaptures(4, quality.KeyTooDark)
	if st.Quality.Override || st.Staff != nil {
		t.Errorf("override offered %v, staff %+v without a staff PIN; want neither", st.Quality.Override, st.Staff)
	}
	for _, a := range []Action{{Type: ActStaffUnlock, PIN: testStaffPIN}, {Type: ActStaffOverride, Staff: "x", Reason: "because"}} {
		if _, err := r.s.Do(context.Background(), a); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s without a staff PIN: %v, want ErrNotAllowed", a.Type, err)
		}
	}
}

// TestQuality_TwoSidedFaceNeedsTheID: for a two-sided ID the face photo
// must show the ID's portrait too.
func TestQuality_TwoSidedFaceNeedsTheID(t *testing.T) {
	opt, cam := withQuality(t)
	r := newRig(t, opt)
	r.toFaceStep(cam, true)
	cam.SetScene(simcam.SceneFace)
	st := r.waitGuidance(quality.KeyShowIDWithFace)
	if st.Pending != nil {
		t.Errorf("a face alone was taken for a two-sided ID")
	}
	cam.SetScene(simcam.SceneFaceWithID)
	r.waitAutoPhoto()
	r.do(Action{Type: ActAcceptPhoto})
	if q := r.s.photos[api.PhotoFace].quality; q == nil || !q.Passed || !slices.ContainsFunc(q.Checks, func(c api.QualityCheck) bool {
		return c.Name == "portrait_size" && c.Pass
	}) {
		t.Errorf("face report %+v, want a passing portrait_size check", q)
	}
}

// TestQuality_CradleStillIsJudged: a card placed in the cradle is taken at
// once, and judged like any photo: an empty cradle is not an ID.
func TestQuality_CradleStillIsJudged(t *testing.T) {
	opt, cam := withQuality(t)
	r := newRig(t, opt)
	r.toFaceStep(cam, false)
	cam.SetScene(simcam.SceneFace)
	r.waitAutoPhoto()
	r.do(Action{Type: ActAcceptPhoto})
	r.waitStep(StepIDPhoto)

	// The switch says "card" but the camera sees the learner: a sticky
	// switch, or a card face down in the wrong place.
	r.cradle.set(true)
	r.wait("capture started", func(st State) bool { return st.Capturing })
	r.clock.Advance(DefaultCradleSettle)
	st := r.waitLong("the cradle capture judged", func(st State) bool { return !st.Capturing && st.Quality.Failed == 1 })
	if st.Pending != nil || st.Message == nil || st.Message.Key != quality.KeyPlaceCard {
		t.Errorf("cradle capture of no card: pending %v message %+v, want no photo and %q", st.Pending, st.Message, quality.KeyPlaceCard)
	}
	if guidance(st) != quality.KeyPlaceCard {
		t.Errorf("guidance %q with the card in the cradle, want the failed capture's %q", guidance(st), quality.KeyPlaceCard)
	}
	// Take the card out, put it back the right way: the photo is taken.
	r.removeCard()
	if st = r.placeCardShowing(cam, simcam.SceneIDFront); st.Pending == nil {
		t.Fatalf("the card in the cradle was not taken: message %+v", st.Message)
	}
	r.do(Action{Type: ActAcceptPhoto})
	if q := r.s.photos[api.PhotoIDPhotoSide].quality; q == nil || !q.Passed || q.Capture != howCradle || q.Attempts != 2 || q.Failed != 1 {
		t.Errorf("ID report %+v, want passed from the cradle on the 2nd attempt", q)
	}
}

// TestQuality_SubmitRefusesAnUnjudgedPhoto: the last gate. Should a photo
// without a passing verdict or an override ever reach review, submit drops
// it and sends the learner back for it.
func TestQuality_SubmitRefusesAnUnjudgedPhoto(t *testing.T) {
	opt, cam := withQuality(t)
	r := newRig(t, opt)
	r.toFaceStep(cam, false)
	cam.SetScene(simcam.SceneFace)
	r.waitAutoPhoto()
	r.do(Action{Type: ActAcceptPhoto})
	r.waitStep(StepIDPhoto)
	r.placeCardShowing(cam, simcam.SceneIDFront)
	r.do(Action{Type: ActAcceptPhoto})
	r.waitStep(StepReview)

	// Tamper from inside: the report says the photo failed.
	r.s.mu.Lock()
	r.s.photos[api.PhotoFace].quality.Passed = false
	r.s.mu.Unlock()
	st, err := r.s.Do(context.Background(), Action{Type: ActSubmit})
	if !errors.Is(err, ErrInvalidInput) || st.Message == nil || st.Message.Key != KeyPhotoMissing || st.Photos[api.PhotoFace].Present {
		t.Errorf("submit: err %v message %+v face present %v, want the face dropped and asked for again", err, st.Message, st.Photos[api.PhotoFace].Present)
	}
	if n := len(r.saver.Copies()); n != 0 {
		t.Errorf("saved %d profiles, want none", n)
	}
}
