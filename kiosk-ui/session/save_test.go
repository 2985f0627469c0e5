package session

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/idkiosk/idkiosk/sync/api"
)

func TestSave_CompletesBeforeReceipt(t *testing.T) {
	r := newRig(t)
	r.saver.gate = make(chan error)
	r.toReview()
	st := r.do(Action{Type: ActSubmit})
	if st.Step != StepSaving {
		t.Fatalf("step %s, want saving", st.Step)
	}
	<-r.saver.calls
	// Save is blocked: whatever happens meanwhile, no receipt.
	r.do(Action{Type: ActKeepAlive})
	if _, err := r.s.Do(context.Background(), Action{Type: ActFinish}); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("finish while saving: err %v, want ErrNotAllowed", err)
	}
	if st := r.s.State(); st.Step != StepSaving || st.Receipt != nil {
		t.Fatalf("before Save returned: step %s receipt %+v, want saving and no receipt", st.Step, st.Receipt)
	}
	bufs := r.photoBuffers()
	r.saver.gate <- nil
	st = r.waitStep(StepReceipt)
	if st.Receipt == nil {
		t.Fatalf("no receipt")
	}
	assertZeroed(t, bufs) // wiped once durable
}

func TestSave_FailureKeepsEverything(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantKey string
	}{
		{"disk error", errors.New("commit: input/output error"), KeySaveFailed},
		{"queue full", fmt.Errorf("outbox put: %w", ErrQueueFull), KeyQueueFull},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			r.saver.gate = make(chan error, 2)
			before := r.toReview()
			r.saver.gate <- tt.err
			r.do(Action{Type: ActSubmit})
			st := r.wait("save error", func(st State) bool { return st.Step == StepReview && st.Message != nil })
			if st.Message.Key != tt.wantKey {
				t.Errorf("message %+v, want %s", st.Message, tt.wantKey)
			}
			if st.Name != before.Name || st.Email != before.Email || st.IDType != before.IDType {
				t.Errorf("data changed after a failed save: %q %q %s", st.Name, st.Email, st.IDType)
			}
			for _, k := range api.RequiredPhotos(false) {
				b, rev, ok := r.s.Photo(k)
				if !ok || len(b) == 0 || rev != before.Photos[k].Rev || b[0] != 0xff {
					t.Errorf("%s photo after a failed save: ok %v rev %d len %d, want it intact", k, ok, rev, len(b))
				}
			}
			// Retry works and gets a fresh profile ID.
			r.saver.gate <- nil
			r.do(Action{Type: ActSubmit})
			st = r.waitStep(StepReceipt)
			if got := r.saver.Copies(); len(got) != 1 || got[0].ID == "6ba7b810-9dad-11d1-80b4-000000000001" {
				t.Errorf("retry saved %d profiles (want 1) with a reused ID", len(got))
			}
		})
	}
}

func TestSave_MissingPhotoRefused(t *testing.T) {
	r := newRig(t)
	r.toReview()
	r.do(Action{Type: ActEdit, Step: StepIDType})
	r.do(Action{Type: ActIDTypeSubmit, IDType: api.IDNationalCard, TwoSided: true}) // wipes face
	r.do(Action{Type: ActBack})                                                     // review without a face photo
	_, err := r.s.Do(context.Background(), Action{Type: ActSubmit})
	st := r.s.State()
	if !errors.Is(err, ErrInvalidInput) || st.Message == nil || st.Message.Key != KeyPhotoMissing || st.Message.Params["kind"] != "face" {
		t.Errorf("submit without a face photo: err %v message %+v, want photo_missing kind=face", err, st.Message)
	}
}

func TestShutdown_WaitsForSave(t *testing.T) {
	r := newRig(t)
	r.saver.gate = make(chan error)
	r.toReview()
	r.do(Action{Type: ActSubmit})
	<-r.saver.calls
	lights := r.cradle.watchLight()
	r.cancel()
	// Let Save finish only after shutdown has begun (the light goes off
	// first); Run must still be there to see it through.
	go func() {
		<-lights
		r.saver.gate <- nil
	}()
	<-r.done
	if got := len(r.saver.Copies()); got != 1 {
		t.Errorf("Run returned with %d profiles saved, want 1: it must wait for the in-flight Save", got)
	}
}

// admittingSaver is a Saver that can say there is no room before a start.
type admittingSaver struct {
	*fakeSaver
	full error
}

func (a *admittingSaver) Admit(context.Context) error { return a.full }

func TestStart_RefusedWhenTheKioskIsFull(t *testing.T) {
	saver := &admittingSaver{full: errors.New("outbox holds 5000 of 5000 profiles")}
	r := newRig(t, func(_ *Config, d *Deps, r *rig) {
		saver.fakeSaver = r.saver
		d.Saver = saver
	})
	st, err := r.s.Do(context.Background(), Action{Type: ActStart})
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("start on a full kiosk: err %v, want ErrInvalidInput", err)
	}
	if st.Step != StepWelcome || st.Message == nil || st.Message.Key != KeyKioskFull {
		t.Fatalf("start on a full kiosk: step %s message %+v, want welcome with %s", st.Step, st.Message, KeyKioskFull)
	}
	// The status screen does not store anything, so it stays open.
	if st := r.do(Action{Type: ActCheckStatus}); st.Step != StepStatus {
		t.Errorf("check status on a full kiosk: step %s, want status", st.Step)
	}
	r.do(Action{Type: ActBack})
	saver.full = nil // staff made room
	if st := r.do(Action{Type: ActStart}); st.Step != StepConsent {
		t.Errorf("start after room was made: step %s, want consent", st.Step)
	}
}
