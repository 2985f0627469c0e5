package session

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

const testStaffPIN = "246810"

// fakePIN checks against a plain PIN. With gate set, each check waits for
// a value on it, so a test can hold a check in flight.
type fakePIN struct {
	pin string

	mu    sync.Mutex
	calls []string
	gate  chan struct{}
}

func (f *fakePIN) CheckPIN(pin string) bool {
	f.mu.Lock()
	f.calls = append(f.calls, pin)
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return pin == f.pin
}

func (f *fakePIN) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// staffRecorder keeps the audit events.
type staffRecorder struct {
	mu     sync.Mutex
	events []StaffEvent
}

func (r *staffRecorder) RecordStaff(e StaffEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *staffRecorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Event)
	}
	return out
}

func (r *staffRecorder) last() StaffEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) == 0 {
		return StaffEvent{}
	}
	return r.events[len(r.events)-1]
}

// withStaff turns staff mode on with testStaffPIN.
func withStaff(pin *fakePIN, cfg StaffConfig) rigOption {
	return func(c *Config, d *Deps, _ *rig) {
		c.Staff = cfg
		d.PIN = pin
	}
}

// unlockStaff enters the PIN and waits for staff mode to open.
func (r *rig) unlockStaff(pin string) State {
	r.t.Helper()
	r.do(Action{Type: ActStaffUnlock, PIN: pin})
	return r.wait("staff mode unlocked", func(st State) bool { return st.Staff != nil && st.Staff.Unlocked })
}

// wrongPIN enters a wrong PIN and waits for the verdict.
func (r *rig) wrongPIN(wantKey string) State {
	r.t.Helper()
	r.do(Action{Type: ActStaffUnlock, PIN: "000000"})
	st := r.wait("the wrong PIN judged", func(st State) bool { return !st.Staff.Checking && st.Message != nil })
	if st.Message.Key != wantKey || st.Staff.Unlocked {
		r.t.Fatalf("wrong PIN: message %+v unlocked %v, want %q and locked", st.Message, st.Staff.Unlocked, wantKey)
	}
	return st
}

func TestStaff_OpenUnlockExit(t *testing.T) {
	pin := &fakePIN{pin: testStaffPIN}
	r := newRig(t, withStaff(pin, StaffConfig{}))

	st := r.do(Action{Type: ActStaffOpen})
	if st.Step != StepStaff || st.Staff == nil || st.Staff.Unlocked {
		t.Fatalf("after staff_open: step %s staff %+v, want the locked staff screen", st.Step, st.Staff)
	}
	if r.s.StaffMode(true) {
		t.Error("StaffMode before the PIN: true, want false")
	}
	if _, err := r.s.Do(context.Background(), Action{Type: ActStaffUnlock, PIN: "  "}); !errors.Is(err, ErrInvalidInput) || pin.Calls() != 0 {
		t.Errorf("empty PIN: %v with %d checks, want ErrInvalidInput and none", err, pin.Calls())
	}
	st = r.wrongPIN(KeyStaffPINWrong)
	if st.Message.Params["left"] != "2" {
		t.Errorf("after one wrong PIN: params %v, want left=2", st.Message.Params)
	}
	st = r.unlockStaff(testStaffPIN)
	if st.Step != StepStaff || st.Message != nil {
		t.Errorf("unlocked: step %s message %+v, want the staff screen and no message", st.Step, st.Message)
	}
	if !r.s.StaffMode(true) {
		t.Error("StaffMode after the PIN: false, want true")
	}
	// Learner actions have no place here.
	for _, a := range []Action{{Type: ActStart}, {Type: ActCheckStatus}, {Type: ActStaffOpen}} {
		if _, err := r.s.Do(context.Background(), a); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s on the staff screen: %v, want ErrNotAllowed", a.Type, err)
		}
	}
	st = r.do(Action{Type: ActStaffExit})
	if st.Step != StepWelcome || st.Staff.Unlocked || r.s.StaffMode(false) {
		t.Errorf("after staff_exit: step %s staff %+v, want welcome and locked", st.Step, st.Staff)
	}
	want := []string{StaffEventPINWrong, StaffEventUnlocked, StaffEventLeft}
	if got := r.audit.names(); !slices.Equal(got, want) {
		t.Errorf("audit %v, want %v", got, want)
	}
	if e := r.audit.last(); e.Reason != StaffLeftExit {
		t.Errorf("last audit event %+v, want left for %q", e, StaffLeftExit)
	}
}

// TestStaff_Lockout: after three wrong PINs the keypad locks for 30 s,
// then each wrong PIN doubles it up to the cap; no PIN, not even the right
// one, is checked while locked; the right one afterwards clears the count.
func TestStaff_Lockout(t *testing.T) {
	pin := &fakePIN{pin: testStaffPIN}
	r := newRig(t, withStaff(pin, StaffConfig{Lockout: 30 * time.Second, MaxLockout: 100 * time.Second}))
	r.do(Action{Type: ActStaffOpen})
	r.wrongPIN(KeyStaffPINWrong)
	r.wrongPIN(KeyStaffPINWrong)
	locks := []struct {
		wait    time.Duration
		seconds string
	}{{30 * time.Second, "30"}, {60 * time.Second, "60"}, {100 * time.Second, "100"}, {100 * time.Second, "100"}}
	for i, l := range locks {
		st := r.wrongPIN(KeyStaffLocked)
		if got := st.Message.Params["seconds"]; got != l.seconds {
			t.Errorf("lock %d: %s seconds, want %s", i+1, got, l.seconds)
		}
		if st.Staff.LockedUntil == nil || !st.Staff.LockedUntil.Equal(r.clock.Now().Add(l.wait)) {
			t.Errorf("lock %d: locked until %v, want now+%s", i+1, st.Staff.LockedUntil, l.wait)
		}
		checks := pin.Calls()
		r.clock.Advance(l.wait - time.Second)
		st, err := r.s.Do(context.Background(), Action{Type: ActStaffUnlock, PIN: testStaffPIN})
		if !errors.Is(err, ErrInvalidInput) || st.Message == nil || st.Message.Key != KeyStaffLocked || st.Message.Params["seconds"] != "1" {
			t.Errorf("lock %d: the right PIN a second early: %v message %+v, want %q with 1 second", i+1, err, st.Message, KeyStaffLocked)
		}
		if pin.Calls() != checks {
			t.Errorf("lock %d: a PIN was checked while locked", i+1)
		}
		r.clock.Advance(time.Second)
	}
	r.unlockStaff(testStaffPIN)
	r.do(Action{Type: ActStaffExit})
	r.do(Action{Type: ActStaffOpen})
	// The count starts over: three more tries before a lock.
	r.wrongPIN(KeyStaffPINWrong)
	if names := r.audit.names(); slices.Index(names, StaffEventLockedOut) < 0 {
		t.Errorf("audit %v has no lockout", names)
	}
}

// The count is the kiosk's: a learner session in between does not reset it.
func TestStaff_LockoutOutlivesSessions(t *testing.T) {
	pin := &fakePIN{pin: testStaffPIN}
	r := newRig(t, withStaff(pin, StaffConfig{FreeAttempts: 1}))
	r.do(Action{Type: ActStaffOpen})
	r.wrongPIN(KeyStaffLocked)
	r.do(Action{Type: ActStaffExit})
	r.do(Action{Type: ActStart})
	r.do(Action{Type: ActConsentDecline})
	r.do(Action{Type: ActStaffOpen})
	if _, err := r.s.Do(context.Background(), Action{Type: ActStaffUnlock, PIN: testStaffPIN}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("the right PIN after a learner came and went, still locked: %v, want ErrInvalidInput", err)
	}
}

// TestStaff_Inactivity: staff mode ends on its own IdleTimeout after the
// last staff touch, and a touch (the page's staff calls) pushes it back.
func TestStaff_Inactivity(t *testing.T) {
	pin := &fakePIN{pin: testStaffPIN}
	r := newRig(t, withStaff(pin, StaffConfig{IdleTimeout: time.Minute}))
	r.do(Action{Type: ActStaffOpen})
	r.unlockStaff(testStaffPIN)
	r.clock.Advance(50 * time.Second)
	if !r.s.StaffMode(true) {
		t.Fatal("staff mode ended before its timeout")
	}
	r.clock.Advance(50 * time.Second) // 100 s since the PIN, 50 since the touch
	if !r.s.StaffMode(false) {
		t.Fatal("staff mode ended although staff touched it 50 s ago")
	}
	r.clock.Advance(10 * time.Second)
	st := r.waitStep(StepWelcome)
	if st.Staff.Unlocked || r.s.StaffMode(false) {
		t.Errorf("after a minute without a touch: staff %+v, want locked", st.Staff)
	}
	if e := r.audit.last(); e.Event != StaffEventLeft || e.Reason != StaffLeftIdle {
		t.Errorf("last audit event %+v, want left for idleness", e)
	}
	// A keypad nobody types on closes too.
	r.do(Action{Type: ActStaffOpen})
	r.clock.Advance(time.Minute)
	r.waitStep(StepWelcome)
}

// TestStaff_OneGuessAtATime: a second PIN while one is checked is refused,
// and leaving while a wrong PIN is checked does not save the guess from
// counting.
func TestStaff_OneGuessAtATime(t *testing.T) {
	pin := &fakePIN{pin: testStaffPIN, gate: make(chan struct{})}
	r := newRig(t, withStaff(pin, StaffConfig{FreeAttempts: 2}))
	r.do(Action{Type: ActStaffOpen})
	st := r.do(Action{Type: ActStaffUnlock, PIN: "111111"})
	if !st.Staff.Checking {
		t.Errorf("while checking: staff %+v, want checking", st.Staff)
	}
	if _, err := r.s.Do(context.Background(), Action{Type: ActStaffUnlock, PIN: testStaffPIN}); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("a second PIN while one is checked: %v, want ErrNotAllowed", err)
	}
	r.do(Action{Type: ActStaffExit})
	r.do(Action{Type: ActStaffOpen})
	if _, err := r.s.Do(context.Background(), Action{Type: ActStaffUnlock, PIN: testStaffPIN}); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("a PIN while an abandoned one is still checked: %v, want ErrNotAllowed", err)
	}
	pin.gate <- struct{}{}
	r.wait("the abandoned check done", func(st State) bool { return !st.Staff.Checking && len(r.audit.names()) >= 2 })
	if st := r.s.State(); st.Message != nil || st.Staff.Unlocked {
		t.Errorf("after the abandoned wrong PIN: message %+v staff %+v, want neither shown", st.Message, st.Staff)
	}
	// One free try left: the next wrong PIN locks.
	close(pin.gate)
	r.wrongPIN(KeyStaffLocked)
}

func TestStaff_OnlyFromWelcome(t *testing.T) {
	r := newRig(t, withStaff(&fakePIN{pin: testStaffPIN}, StaffConfig{}))
	r.do(Action{Type: ActStart})
	for _, a := range []Action{{Type: ActStaffOpen}, {Type: ActStaffUnlock, PIN: testStaffPIN}, {Type: ActStaffExit}} {
		if _, err := r.s.Do(context.Background(), a); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s on %s: %v, want ErrNotAllowed", a.Type, r.s.State().Step, err)
		}
	}

	off := newRig(t)
	if st := off.s.State(); st.Staff != nil {
		t.Errorf("without a PIN: staff %+v, want nil", st.Staff)
	}
	if _, err := off.s.Do(context.Background(), Action{Type: ActStaffOpen}); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("staff_open without a PIN: %v, want ErrNotAllowed", err)
	}
}
