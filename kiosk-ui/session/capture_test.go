package session

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/sync/api"
)

// toIDPhoto walks to the ID photo step and returns the light history length
// there, so tests look only at what the ID capture did.
func (r *rig) toIDPhoto() int {
	r.t.Helper()
	r.toFace(false)
	r.takePhoto()
	return len(r.cradle.LightHistory())
}

func (r *rig) lightsSince(mark int) []bool { return r.cradle.LightHistory()[mark:] }

func TestCradle_LightOnlyDuringCapture(t *testing.T) {
	r := newRig(t)
	mark := r.toIDPhoto()
	if got := r.lightsSince(0); slices.Contains(got, true) {
		t.Errorf("light switched on before any ID capture: %v", got)
	}
	st := r.placeCard()
	if got, want := r.lightsSince(mark), []bool{true, false}; !slices.Equal(got, want) {
		t.Errorf("light history during a cradle capture = %v, want %v", got, want)
	}
	if st.Cradle.Light || r.cradle.Light() {
		t.Errorf("light on after the capture")
	}
	if got := r.camera.lightOn; !slices.Equal(got, []bool{false, true}) {
		t.Errorf("light during Still calls (face, ID) = %v, want [false true]", got)
	}
	if st.Pending == nil || st.Pending.Kind != api.PhotoIDPhotoSide {
		t.Errorf("pending = %+v, want the ID photo side", st.Pending)
	}
}

func TestCradle_SettleBeforeCapture(t *testing.T) {
	r := newRig(t)
	r.toIDPhoto()
	r.cradle.set(true)
	r.wait("capture started", func(st State) bool { return st.Capturing })
	r.clock.Advance(DefaultCradleSettle - time.Millisecond)
	select {
	case <-r.camera.calls:
		t.Fatalf("Still called before the card settled")
	default:
	}
	r.clock.Advance(time.Millisecond)
	<-r.camera.calls
	r.waitPending()
}

func TestCradle_LightOffOnEveryPath(t *testing.T) {
	capErr := errors.New("VIDIOC_DQBUF: no such device")
	tests := []struct {
		name string
		opts []rigOption
		// start begins the capture; the camera blocks unless fail is set.
		fail      error
		ignoreCtx bool
		end       func(r *rig)
		wantKey   string
		wantStep  Step
		wantLight []bool // history since the ID step began
	}{
		{name: "capture error", fail: capErr, end: func(r *rig) {},
			wantKey: KeyCaptureFailed, wantStep: StepIDPhoto, wantLight: []bool{true, false}},
		{name: "card removed mid-capture", end: func(r *rig) { r.cradle.set(false) },
			wantKey: KeyCardRemoved, wantStep: StepIDPhoto, wantLight: []bool{true, false}},
		{name: "timeout", end: func(r *rig) { r.clock.Advance(DefaultCaptureTimeout) },
			wantKey: KeyCaptureTimeout, wantStep: StepIDPhoto, wantLight: []bool{true, false}},
		{name: "timeout with a camera that ignores cancellation", ignoreCtx: true,
			end:     func(r *rig) { r.clock.Advance(DefaultCaptureTimeout) },
			wantKey: KeyCaptureTimeout, wantStep: StepIDPhoto, wantLight: []bool{true, false}},
		{name: "back", end: func(r *rig) { r.do(Action{Type: ActBack}) },
			wantStep: StepFace, wantLight: []bool{true, false}},
		{name: "language change keeps capturing", end: func(r *rig) {
			r.do(Action{Type: ActSetLanguage, Lang: "es"})
			if !r.s.State().Capturing || !r.cradle.Light() {
				r.t.Errorf("changing the language stopped the capture")
			}
			r.cradle.set(false)
		}, wantKey: KeyCardRemoved, wantStep: StepIDPhoto, wantLight: []bool{true, false}},
		{name: "idle reset", opts: []rigOption{withConfig(func(c *Config) { c.CaptureTimeout = time.Hour })},
			end:     func(r *rig) { r.clock.Advance(DefaultIdleTimeout) },
			wantKey: KeyCardLeftBehind, wantStep: StepWelcome, wantLight: []bool{true, false}},
		{name: "shutdown", end: func(r *rig) { r.stop() },
			wantStep: StepIDPhoto, wantLight: []bool{true, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.opts...)
			mark := r.toIDPhoto()
			r.camera.set(tt.fail == nil, tt.fail)
			r.camera.ignoreCtx = tt.ignoreCtx
			r.cradle.set(true)
			r.wait("capture started", func(st State) bool { return st.Capturing })
			r.clock.Advance(DefaultCradleSettle)
			<-r.camera.calls
			if !r.camera.lastLight() {
				t.Fatalf("light off while Still runs in the cradle")
			}
			tt.end(r)
			st := r.wait("capture ended", func(st State) bool { return !st.Capturing && st.Step == tt.wantStep })
			if r.cradle.Light() || st.Cradle.Light {
				t.Errorf("light still on (state says %v)", st.Cradle.Light)
			}
			if got := r.lightsSince(mark); !slices.Equal(got, tt.wantLight) {
				t.Errorf("light history %v, want %v", got, tt.wantLight)
			}
			if tt.wantKey != "" && (st.Message == nil || st.Message.Key != tt.wantKey) {
				t.Errorf("message %+v, want %s", st.Message, tt.wantKey)
			}
			if st.Pending != nil {
				t.Errorf("a photo is pending after an abandoned capture")
			}
			if tt.ignoreCtx {
				// The stuck driver finally returns: its still must be dropped.
				r.camera.release <- r.camera.still()
				if st := r.s.State(); st.Pending != nil {
					t.Errorf("a late still became the pending photo")
				}
			}
		})
	}
}

func TestCradle_RemovedBeforeSettleNeverLights(t *testing.T) {
	r := newRig(t)
	mark := r.toIDPhoto()
	r.cradle.set(true)
	r.wait("capture started", func(st State) bool { return st.Capturing })
	r.cradle.set(false)
	st := r.wait("capture ended", func(st State) bool { return !st.Capturing })
	r.clock.Advance(time.Second) // the settle timer must be dead
	if got := r.lightsSince(mark); slices.Contains(got, true) {
		t.Errorf("light history %v: the light came on for a card already gone", got)
	}
	if st.Message == nil || st.Message.Key != KeyCardRemoved {
		t.Errorf("message %+v, want card_removed", st.Message)
	}
	select {
	case <-r.camera.calls:
		t.Errorf("Still called for a card removed before it settled")
	default:
	}
}

func TestCradle_CaptureButtonUsesLightWhenCardPresent(t *testing.T) {
	r := newRig(t)
	mark := r.toIDPhoto()
	r.cradle.mu.Lock()
	r.cradle.present = true // in the cradle, edge already consumed elsewhere
	r.cradle.mu.Unlock()
	st := r.do(Action{Type: ActCapture})
	if st.CaptureMode != modeCradle {
		t.Errorf("capture mode %q, want cradle", st.CaptureMode)
	}
	r.waitPending()
	if got := r.lightsSince(mark); !slices.Equal(got, []bool{true, false}) {
		t.Errorf("light history %v, want [true false]", got)
	}
}

func TestCradle_HoldToCameraNoLight(t *testing.T) {
	r := newRig(t)
	mark := r.toIDPhoto()
	st := r.do(Action{Type: ActCapture})
	if st.CaptureMode != modeHand {
		t.Errorf("capture mode %q without a card in the cradle, want hand", st.CaptureMode)
	}
	r.waitPending()
	if got := r.lightsSince(mark); len(got) != 0 {
		t.Errorf("light history %v for a hand-held ID, want no switching", got)
	}
}

func TestCradle_CardPlacedEarlyIsCapturedOnArrival(t *testing.T) {
	r := newRig(t)
	r.toFace(false)
	r.cradle.set(true) // on the face step: nothing to capture yet
	if st := r.wait("card seen", func(st State) bool { return st.Cradle.Present }); st.Capturing {
		t.Fatalf("a card placed on the face step started a capture")
	}
	r.takePhoto()
	st := r.wait("ID capture", func(st State) bool { return st.Step == StepIDPhoto && (st.Capturing || st.Pending != nil) })
	if st.CaptureMode != modeCradle && st.Pending == nil {
		t.Errorf("capture mode %q, want cradle", st.CaptureMode)
	}
	r.waitPending()
}

func TestCradle_CardLeftBehind(t *testing.T) {
	r := newRig(t)
	r.toIDPhoto()
	r.placeCard()
	r.do(Action{Type: ActAcceptPhoto})
	r.do(Action{Type: ActSubmit})
	r.waitStep(StepReceipt)
	st := r.do(Action{Type: ActFinish})
	if st.Message == nil || st.Message.Key != KeyCardLeftBehind {
		t.Errorf("finish with the card in the cradle: message %+v, want card_left_behind", st.Message)
	}
	if got := r.cradle.Status(); got != cradle.StatusAttention {
		t.Errorf("cradle status %v, want attention", got)
	}
	st = r.removeCard()
	if st.Message != nil {
		t.Errorf("message %+v after the card was taken, want none", st.Message)
	}
	if got := r.cradle.Status(); got != cradle.StatusReady {
		t.Errorf("cradle status %v after the card was taken, want ready", got)
	}
}

func TestCradle_CardPresentAtStartup(t *testing.T) {
	c := newFakeCradle()
	c.present = true
	r := newRig(t, func(_ *Config, d *Deps, r *rig) { d.Cradle = c; r.cradle = c; r.camera.cradle = c })
	st := r.wait("startup check", func(st State) bool { return st.Cradle.Present })
	if st.Message == nil || st.Message.Key != KeyCardLeftBehind || c.Status() != cradle.StatusAttention {
		t.Errorf("card in the cradle at startup: message %+v status %v, want card_left_behind attention", st.Message, c.Status())
	}
}

func TestCradle_StatusFollowsSession(t *testing.T) {
	r := newRig(t)
	r.wait("run started", func(st State) bool { return st.Cradle.Available })
	if got := r.cradle.Status(); got != cradle.StatusReady {
		t.Errorf("welcome: status %v, want ready", got)
	}
	r.do(Action{Type: ActCheckStatus})
	if got := r.cradle.Status(); got != cradle.StatusBusy {
		t.Errorf("status screen: status %v, want busy", got)
	}
	r.do(Action{Type: ActBack})
	if got := r.cradle.Status(); got != cradle.StatusReady {
		t.Errorf("back on welcome: status %v, want ready", got)
	}
}
