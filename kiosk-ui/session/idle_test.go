package session

import (
	"bytes"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/sync/api"
)

// photoBuffers returns the session's own photo buffers, to check later that
// a wipe zeroed them.
func (r *rig) photoBuffers() [][]byte {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var bufs [][]byte
	for _, p := range r.s.photos {
		bufs = append(bufs, p.jpeg)
	}
	if r.s.pending != nil {
		bufs = append(bufs, r.s.pending.jpeg)
	}
	return bufs
}

func assertZeroed(t *testing.T, bufs [][]byte) {
	t.Helper()
	if len(bufs) == 0 {
		t.Fatalf("no photo buffers to check")
	}
	for i, b := range bufs {
		if len(b) == 0 || !bytes.Equal(b, make([]byte, len(b))) {
			t.Errorf("photo buffer %d not wiped: %q", i, b)
		}
	}
}

func TestIdle_WarnThenResetWipes(t *testing.T) {
	r := newRig(t)
	r.toFace(false)
	r.takePhoto()
	r.do(Action{Type: ActCapture})
	r.waitPending() // an ID photo awaiting accept counts too
	bufs := r.photoBuffers()
	if len(bufs) != 2 {
		t.Fatalf("%d photo buffers, want face + pending", len(bufs))
	}

	r.clock.Advance(DefaultIdleTimeout - DefaultIdleWarning - time.Second)
	if st := r.s.State(); st.IdleWarning {
		t.Fatalf("idle warning %ds early", 1)
	}
	r.clock.Advance(time.Second)
	st := r.s.State()
	if !st.IdleWarning || st.IdleDeadline == nil || !st.IdleDeadline.Equal(r.clock.Now().Add(DefaultIdleWarning)) {
		t.Fatalf("after %v idle: warning %v deadline %v, want true at now+%v", DefaultIdleTimeout-DefaultIdleWarning, st.IdleWarning, st.IdleDeadline, DefaultIdleWarning)
	}
	if st.Step != StepIDPhoto || st.Name == "" {
		t.Errorf("the warning changed the session: step %s name %q", st.Step, st.Name)
	}
	r.clock.Advance(DefaultIdleWarning)
	st = r.s.State()
	if st.Step != StepWelcome || st.Message == nil || st.Message.Key != KeySessionTimedOut {
		t.Fatalf("after %v idle: step %s message %+v, want welcome session_timed_out", DefaultIdleTimeout, st.Step, st.Message)
	}
	if st.Name != "" || st.Email != "" || st.Pending != nil || st.Photos[api.PhotoFace].Present || st.IdleWarning {
		t.Errorf("reset kept data: name %q email %q pending %v photos %+v", st.Name, st.Email, st.Pending, st.Photos)
	}
	assertZeroed(t, bufs)
	if _, _, ok := r.s.Photo(api.PhotoFace); ok {
		t.Errorf("Photo(face) still serves a photo after the reset")
	}
	if got := r.cradle.Status(); got != cradle.StatusReady {
		t.Errorf("cradle status %v, want ready", got)
	}
}

func TestIdle_KeepAliveAndActionsRestartTheTimer(t *testing.T) {
	for _, act := range []Action{{Type: ActKeepAlive}, {Type: ActSetLanguage, Lang: "es"}} {
		t.Run(act.Type, func(t *testing.T) {
			r := newRig(t)
			r.do(Action{Type: ActStart})
			r.clock.Advance(DefaultIdleTimeout - DefaultIdleWarning)
			if !r.s.State().IdleWarning {
				t.Fatalf("no idle warning")
			}
			if st := r.do(act); st.IdleWarning || st.IdleDeadline != nil {
				t.Errorf("after %s: idle warning still shown", act.Type)
			}
			r.clock.Advance(DefaultIdleTimeout - time.Second)
			if st := r.s.State(); st.Step != StepConsent {
				t.Errorf("reset %v after the learner's action, want the full %v", DefaultIdleTimeout-time.Second, DefaultIdleTimeout)
			}
			r.clock.Advance(time.Second)
			if st := r.s.State(); st.Step != StepWelcome {
				t.Errorf("step %s a full idle timeout after the action, want welcome", st.Step)
			}
		})
	}
}

func TestIdle_CradleActivityCounts(t *testing.T) {
	r := newRig(t)
	r.toFace(false)
	r.takePhoto()
	r.clock.Advance(DefaultIdleTimeout - time.Second)
	r.placeCard() // settle is 300ms of the remaining second
	r.clock.Advance(time.Second)
	if st := r.s.State(); st.Step != StepIDPhoto || st.Pending == nil {
		t.Errorf("placing the card did not count as activity: step %s", st.Step)
	}
}

func TestIdle_NotWhileSaving(t *testing.T) {
	r := newRig(t)
	r.saver.gate = make(chan error, 1)
	r.toReview()
	r.do(Action{Type: ActSubmit})
	<-r.saver.calls
	r.clock.Advance(10 * DefaultIdleTimeout)
	if st := r.s.State(); st.Step != StepSaving || st.IdleWarning {
		t.Fatalf("while saving: step %s warning %v, want saving and no warning", st.Step, st.IdleWarning)
	}
	r.saver.gate <- nil
	r.waitStep(StepReceipt)
}

func TestIdle_WelcomeLanguageReverts(t *testing.T) {
	r := newRig(t)
	r.do(Action{Type: ActSetLanguage, Lang: "fr"})
	r.clock.Advance(DefaultIdleTimeout)
	if st := r.s.State(); st.Lang != "en" || st.Message != nil {
		t.Errorf("idle on welcome: lang %s message %+v, want en and no message", st.Lang, st.Message)
	}
}

func TestReceipt_TimesOut(t *testing.T) {
	r := newRig(t)
	r.toReview()
	r.do(Action{Type: ActSubmit})
	st := r.waitStep(StepReceipt)
	if st.Receipt.ReviewDays != DefaultReviewDays {
		t.Errorf("receipt review days %d, want %d", st.Receipt.ReviewDays, DefaultReviewDays)
	}
	r.clock.Advance(DefaultReceiptTimeout - time.Second)
	if st := r.s.State(); st.Step != StepReceipt || st.IdleWarning {
		t.Fatalf("receipt left early: step %s warning %v", st.Step, st.IdleWarning)
	}
	r.clock.Advance(time.Second)
	if st := r.s.State(); st.Step != StepWelcome || st.Receipt != nil {
		t.Errorf("after %v: step %s receipt %+v, want welcome", DefaultReceiptTimeout, st.Step, st.Receipt)
	}
}

func TestConfig_TimeoutsApply(t *testing.T) {
	r := newRig(t, withConfig(func(c *Config) {
		c.IdleTimeout, c.IdleWarning = 30*time.Second, 10*time.Second
	}))
	r.do(Action{Type: ActStart})
	r.clock.Advance(20 * time.Second)
	if !r.s.State().IdleWarning {
		t.Errorf("no warning after 20s with IdleTimeout 30s, IdleWarning 10s")
	}
	r.clock.Advance(10 * time.Second)
	if st := r.s.State(); st.Step != StepWelcome {
		t.Errorf("step %s after 30s, want welcome", st.Step)
	}
}
