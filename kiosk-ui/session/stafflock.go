package session

import (
	"log/slog"
	"time"
)

// The PIN lockout outlives kioskd: with it in memory only, whoever can pull
// the kiosk's power would get StaffConfig.FreeAttempts fresh guesses per
// boot. A LockoutStore keeps it; the session loads it once at start and
// saves it on every PIN verdict, before the verdict is shown, so a power
// cut after a guess's answer cannot take the guess back.

// StaffLockout is the PIN lockout as kept across restarts. It holds counts
// and times only: no PIN, nothing about anyone.
type StaffLockout struct {
	// Failures is how many wrong PINs in a row.
	Failures int
	// LockedUntil is when the keypad opens again (wall time); zero: never
	// locked since the last right PIN.
	LockedUntil time.Time
	// Lockout is the last lock's length, which the next wrong PIN doubles;
	// zero before the first lock.
	Lockout time.Duration
}

// LockoutStore keeps a StaffLockout where a restart or a power cut cannot
// clear it. Load returns the zero StaffLockout when nothing was saved yet,
// and an error only when what was saved cannot be read: the session then
// locks the keypad rather than trust nothing. Save returns nil once the
// state survives a power cut. Both are called with the session's lock
// held, Load once at start and Save once per PIN verdict: one small
// fsync'd file is fine, a network round trip is not.
type LockoutStore interface {
	Load() (StaffLockout, error)
	Save(StaffLockout) error
}

// restoreLockout loads the stored lockout. Unreadable: locked for
// StaffConfig.Lockout from now, as if the free attempts had just run out,
// since an attacker who can corrupt the file must not get an open keypad
// for it; the right PIN afterwards overwrites it.
func (m *staffMode) restoreLockout(now time.Time, log *slog.Logger) {
	st, err := m.store.Load()
	if err != nil {
		log.Warn("staff PIN lockout unreadable: keypad locked for the base lockout", "err", err, "locked_for", m.cfg.Lockout)
		st = StaffLockout{Failures: m.cfg.FreeAttempts, LockedUntil: now.Add(m.cfg.Lockout), Lockout: m.cfg.Lockout}
	}
	m.failures = max(st.Failures, 0)
	m.lockout = min(max(st.Lockout, 0), m.cfg.MaxLockout)
	if left := st.LockedUntil.Sub(now); left > 0 {
		// A lock longer than MaxLockout means the clock was wrong when it
		// was saved, or is now (a board without a real-time clock boots
		// in the past): no lock lasts longer than MaxLockout from now.
		// Anchoring on now also gives the lock now's monotonic reading,
		// so setting the wall clock later in this boot cannot move it.
		m.lockedUntil = now.Add(min(left, m.cfg.MaxLockout))
	}
}

// saveLockout stores the lockout. A failed write unlocks nothing: the
// lock stays in memory and the error is logged. Callers hold mu.
func (s *Session) saveLockout() {
	if s.staff.store == nil {
		return
	}
	st := StaffLockout{Failures: s.staff.failures, Lockout: s.staff.lockout}
	if !s.staff.lockedUntil.IsZero() {
		st.LockedUntil = s.staff.lockedUntil.Round(0) // wall time only: a monotonic reading dies with the process
	}
	if err := s.staff.store.Save(st); err != nil {
		s.log.Error("save staff PIN lockout: it holds until kioskd restarts", "err", err, "failures", st.Failures)
	}
}

// nextLockout is how long the keypad locks after the current wrong PIN:
// StaffConfig.Lockout the first time, then twice the last lock, up to
// MaxLockout.
func (m *staffMode) nextLockout() time.Duration {
	c := m.cfg
	if m.failures <= c.FreeAttempts || m.lockout <= 0 {
		return c.Lockout
	}
	return min(max(2*m.lockout, c.Lockout), c.MaxLockout)
}
