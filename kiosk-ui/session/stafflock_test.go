package session

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// memLockout is a LockoutStore in memory, standing in for kioskd's file:
// two sessions given the same one are one kiosk before and after a restart.
type memLockout struct {
	mu      sync.Mutex
	st      StaffLockout
	loadErr error
	saveErr error
	saves   []StaffLockout
}

func (m *memLockout) Load() (StaffLockout, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st, m.loadErr
}

func (m *memLockout) Save(st StaffLockout) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saves = append(m.saves, st)
	if m.saveErr != nil {
		return m.saveErr
	}
	m.st = st
	return nil
}

func (m *memLockout) saved() []StaffLockout {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]StaffLockout(nil), m.saves...)
}

// lockedBuffer collects log lines written from the session's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// withLockout gives the session store, clock (shared across a restart)
// and a log into buf (nil: discarded).
func withLockout(store LockoutStore, clock *fakeClock, buf *lockedBuffer) rigOption {
	return func(_ *Config, d *Deps, r *rig) {
		d.StaffLockout = store
		d.Clock, r.clock = clock, clock
		if buf != nil {
			d.Log = slog.New(slog.NewTextHandler(buf, nil))
		}
	}
}

// lockoutTestConfig: locks of 30 s, 60 s, then 100 s; staff mode never
// times out during a test's waits.
var lockoutTestConfig = StaffConfig{IdleTimeout: time.Hour, Lockout: 30 * time.Second, MaxLockout: 100 * time.Second}

// wrongPINs enters n wrong PINs on the staff screen, waiting out each lock
// but the last one's.
func (r *rig) wrongPINs(n int) {
	r.t.Helper()
	for i := range n {
		r.do(Action{Type: ActStaffUnlock, PIN: "000000"})
		st := r.wait("the wrong PIN judged", func(st State) bool { return !st.Staff.Checking && st.Message != nil })
		if st.Staff.LockedUntil != nil && i < n-1 {
			r.clock.Advance(st.Staff.LockedUntil.Sub(r.clock.Now()))
		}
	}
}

// TestStaffLockout_SurvivesRestart: wrong PINs, then kioskd restarts (a new
// Session on the same store): the keypad is still locked for what was
// left, and the next wrong PIN carries on doubling.
func TestStaffLockout_SurvivesRestart(t *testing.T) {
	tests := []struct {
		name     string
		wrong    int           // wrong PINs before the restart
		after    time.Duration // time between the last of them and the restart
		wantLeft time.Duration // locked for this long after the restart; 0: open
		wantKey  string        // the next wrong PIN, once the lock is over
		wantSecs string        // its lock's length
	}{
		{name: "two wrong, one free try left", wrong: 2, wantKey: KeyStaffLocked, wantSecs: "30"},
		{name: "first lock, 10 s in", wrong: 3, after: 10 * time.Second, wantLeft: 20 * time.Second, wantKey: KeyStaffLocked, wantSecs: "60"},
		{name: "second lock, 20 s in", wrong: 4, after: 20 * time.Second, wantLeft: 40 * time.Second, wantKey: KeyStaffLocked, wantSecs: "100"},
		{name: "third lock, at the cap", wrong: 5, wantLeft: 100 * time.Second, wantKey: KeyStaffLocked, wantSecs: "100"},
		{name: "first lock over before the restart", wrong: 3, after: time.Minute, wantKey: KeyStaffLocked, wantSecs: "60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, clock := &memLockout{}, newFakeClock()
			before := newRig(t, withStaff(&fakePIN{pin: testStaffPIN}, lockoutTestConfig), withLockout(store, clock, nil))
			before.do(Action{Type: ActStaffOpen})
			before.wrongPINs(tt.wrong)
			clock.Advance(tt.after)
			before.stop()

			pin := &fakePIN{pin: testStaffPIN}
			r := newRig(t, withStaff(pin, lockoutTestConfig), withLockout(store, clock, nil))
			st := r.s.State()
			var gotLeft time.Duration
			if st.Staff.LockedUntil != nil {
				gotLeft = st.Staff.LockedUntil.Sub(clock.Now())
			}
			if gotLeft != tt.wantLeft {
				t.Errorf("after the restart: locked for %s, want %s", gotLeft, tt.wantLeft)
			}
			r.do(Action{Type: ActStaffOpen})
			if tt.wantLeft > 0 {
				st, err := r.s.Do(context.Background(), Action{Type: ActStaffUnlock, PIN: testStaffPIN})
				wantSecs := ceilSeconds(tt.wantLeft)
				if !errors.Is(err, ErrInvalidInput) || st.Message == nil || st.Message.Params["seconds"] != wantSecs || pin.Calls() != 0 {
					t.Errorf("the right PIN after the restart: %v message %+v with %d checks, want %q with %s seconds and none",
						err, st.Message, pin.Calls(), KeyStaffLocked, wantSecs)
				}
				clock.Advance(tt.wantLeft)
			}
			st = r.wrongPIN(tt.wantKey)
			if got := st.Message.Params["seconds"]; got != tt.wantSecs {
				t.Errorf("the next wrong PIN locks for %s seconds, want %s", got, tt.wantSecs)
			}
		})
	}
}

// TestStaffLockout_SavedOnEveryVerdict: each wrong PIN is stored before it
// is answered, and the right PIN stores the reset, so the next boot gives
// the free tries back.
func TestStaffLockout_SavedOnEveryVerdict(t *testing.T) {
	store, clock := &memLockout{}, newFakeClock()
	r := newRig(t, withStaff(&fakePIN{pin: testStaffPIN}, lockoutTestConfig), withLockout(store, clock, nil))
	start := clock.Now()
	r.do(Action{Type: ActStaffOpen})
	r.wrongPINs(4) // the third locks at start for 30 s, the fourth at start+30s for 60 s
	clock.Advance(time.Minute)
	r.unlockStaff(testStaffPIN)

	want := []StaffLockout{
		{Failures: 1},
		{Failures: 2},
		{Failures: 3, LockedUntil: start.Add(30 * time.Second), Lockout: 30 * time.Second},
		{Failures: 4, LockedUntil: start.Add(90 * time.Second), Lockout: 60 * time.Second},
		{},
	}
	got := store.saved()
	if len(got) != len(want) {
		t.Fatalf("saved %d times %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].Failures != want[i].Failures || !got[i].LockedUntil.Equal(want[i].LockedUntil) || got[i].Lockout != want[i].Lockout {
			t.Errorf("save %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}

	r.stop()
	again := newRig(t, withStaff(&fakePIN{pin: testStaffPIN}, lockoutTestConfig), withLockout(store, clock, nil))
	again.do(Action{Type: ActStaffOpen})
	if st := again.wrongPIN(KeyStaffPINWrong); st.Message.Params["left"] != "2" {
		t.Errorf("after the right PIN and a restart: params %v, want left=2", st.Message.Params)
	}
}

// TestStaffLockout_Restore: what a session starts with for what the store
// holds. An unreadable store locks the keypad for the base lockout, with
// one warning; a lock longer than MaxLockout (the clock was wrong) is cut
// to MaxLockout.
func TestStaffLockout_Restore(t *testing.T) {
	now := newFakeClock().Now()
	tests := []struct {
		name     string
		stored   StaffLockout
		loadErr  error
		wantLeft time.Duration
		wantKey  string // the next wrong PIN, once any lock is over
		wantSecs string
		wantWarn int
	}{
		{name: "nothing saved", wantKey: KeyStaffPINWrong},
		{name: "unreadable", loadErr: errors.New("parse staff-lockout.json: invalid character"), wantLeft: 30 * time.Second, wantKey: KeyStaffLocked, wantSecs: "60", wantWarn: 1},
		{name: "locked far in the future", stored: StaffLockout{Failures: 3, LockedUntil: now.Add(240 * time.Hour), Lockout: 30 * time.Second},
			wantLeft: 100 * time.Second, wantKey: KeyStaffLocked, wantSecs: "60"},
		{name: "lock over", stored: StaffLockout{Failures: 4, LockedUntil: now.Add(-time.Second), Lockout: 60 * time.Second},
			wantKey: KeyStaffLocked, wantSecs: "100"},
		{name: "a lock longer than the cap", stored: StaffLockout{Failures: 9, LockedUntil: now.Add(time.Second), Lockout: 24 * time.Hour},
			wantLeft: time.Second, wantKey: KeyStaffLocked, wantSecs: "100"},
		{name: "negative values", stored: StaffLockout{Failures: -5, Lockout: -time.Second}, wantKey: KeyStaffPINWrong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, clock, logs := &memLockout{st: tt.stored, loadErr: tt.loadErr}, newFakeClock(), &lockedBuffer{}
			pin := &fakePIN{pin: testStaffPIN}
			r := newRig(t, withStaff(pin, lockoutTestConfig), withLockout(store, clock, logs))
			var gotLeft time.Duration
			if st := r.s.State(); st.Staff.LockedUntil != nil {
				gotLeft = st.Staff.LockedUntil.Sub(clock.Now())
			}
			if gotLeft != tt.wantLeft {
				t.Errorf("at start: locked for %s, want %s", gotLeft, tt.wantLeft)
			}
			r.do(Action{Type: ActStaffOpen})
			if _, err := r.s.Do(context.Background(), Action{Type: ActStaffUnlock, PIN: testStaffPIN}); tt.wantLeft > 0 && !errors.Is(err, ErrInvalidInput) {
				t.Errorf("the right PIN at start: %v, want ErrInvalidInput (locked)", err)
			}
			if got := strings.Count(logs.String(), "lockout unreadable"); got != tt.wantWarn {
				t.Errorf("%d warnings about an unreadable lockout, want %d; log:\n%s", got, tt.wantWarn, logs)
			}
			if tt.wantLeft == 0 {
				return // the right PIN went in: nothing more to lock
			}
			clock.Advance(tt.wantLeft)
			st := r.wrongPIN(tt.wantKey)
			if got := st.Message.Params["seconds"]; got != tt.wantSecs {
				t.Errorf("the next wrong PIN locks for %q seconds, want %q", got, tt.wantSecs)
			}
		})
	}
}

// TestStaffLockout_SaveFails: a store that cannot write unlocks nothing:
// the lock holds in memory and the failure is logged.
func TestStaffLockout_SaveFails(t *testing.T) {
	store, clock, logs := &memLockout{saveErr: errors.New("write staff-lockout.json: no space left on device")}, newFakeClock(), &lockedBuffer{}
	pin := &fakePIN{pin: testStaffPIN}
	r := newRig(t, withStaff(pin, lockoutTestConfig), withLockout(store, clock, logs))
	r.do(Action{Type: ActStaffOpen})
	r.wrongPINs(3)
	checks := pin.Calls()
	if _, err := r.s.Do(context.Background(), Action{Type: ActStaffUnlock, PIN: testStaffPIN}); !errors.Is(err, ErrInvalidInput) || pin.Calls() != checks {
		t.Errorf("the right PIN after three wrong ones that could not be saved: %v with %d checks, want ErrInvalidInput and none", err, pin.Calls()-checks)
	}
	if got := strings.Count(logs.String(), "save staff PIN lockout"); got != 3 {
		t.Errorf("%d save errors logged, want 3; log:\n%s", got, logs)
	}
}
