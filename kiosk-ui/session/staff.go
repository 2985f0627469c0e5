package session

import (
	"strconv"
	"strings"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

// Staff mode: proctors and field staff unlock it with the staff PIN, either
// from a discreet control on the welcome screen (then the page shows the
// staff screens: queue, diagnostics, audit) or on a photo step that offers
// the quality override (then staff may accept the failed photo). The
// session decides who may do what; the staff screens' data comes from
// kioskd through the HTTP layer, which asks StaffMode first.
//
// Guessing is slowed twice: the PIN is checked against a memory-hard hash
// (PINChecker, kioskd uses scrypt) one guess at a time, and after
// StaffConfig.FreeAttempts wrong PINs in a row every further one locks the
// keypad for twice as long as the last, up to MaxLockout. The count
// survives learner sessions (it is the kiosk's, not a learner's), and with
// Deps.StaffLockout restarts and power cuts too (stafflock.go); it ends
// only with the right PIN.
//
// Staff mode ends on its own: after IdleTimeout without a staff touch,
// when the learner's session ends or moves to another step, and right
// after an override, so that a learner left alone at an unlocked kiosk
// cannot accept their own failed photos.

// StaffConfig sets staff mode's limits. Zero values take the defaults.
type StaffConfig struct {
	// IdleTimeout ends staff mode this long after the last staff touch.
	IdleTimeout time.Duration
	// FreeAttempts is how many wrong PINs in a row are allowed before the
	// keypad locks.
	FreeAttempts int
	// Lockout is the first lock; each further wrong PIN doubles it, up to
	// MaxLockout.
	Lockout    time.Duration
	MaxLockout time.Duration
}

// Defaults for StaffConfig.
const (
	DefaultStaffIdleTimeout  = 2 * time.Minute
	DefaultStaffFreeAttempts = 3
	DefaultStaffLockout      = 30 * time.Second
	DefaultStaffMaxLockout   = 15 * time.Minute
	// maxPINLen bounds what is handed to the (memory-hard) checker.
	maxPINLen = 64
)

func (c StaffConfig) withDefaults() StaffConfig {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultStaffIdleTimeout
	}
	if c.FreeAttempts <= 0 {
		c.FreeAttempts = DefaultStaffFreeAttempts
	}
	if c.Lockout <= 0 {
		c.Lockout = DefaultStaffLockout
	}
	if c.MaxLockout < c.Lockout {
		c.MaxLockout = max(DefaultStaffMaxLockout, c.Lockout)
	}
	return c
}

// PINChecker says whether pin is the staff PIN. It may take a while (a
// memory-hard hash): the session calls it without holding its lock, one
// call at a time.
type PINChecker interface {
	CheckPIN(pin string) bool
}

// StaffAudit records what staff did at the kiosk. RecordStaff is called
// with the session's lock held: it must not block (kioskd queues the event
// for its audit file). Nil: nothing is recorded.
type StaffAudit interface {
	RecordStaff(StaffEvent)
}

// StaffEvent is one audit record. It names no one: who accepted a photo
// and why is sealed inside the profile; the kiosk keeps when, which photo,
// which checks failed and, once saved, the receipt reference.
type StaffEvent struct {
	Time      time.Time       `json:"time"`
	Event     string          `json:"event"`
	Reason    string          `json:"reason,omitempty"`    // staff_left: why
	Kind      api.PhotoKind   `json:"kind,omitempty"`      // quality_override
	Failed    []string        `json:"failed,omitempty"`    // quality_override: the checks it failed
	Photos    []api.PhotoKind `json:"photos,omitempty"`    // override_submitted: the overridden photos
	Reference string          `json:"reference,omitempty"` // override_submitted
	Failures  int             `json:"failures,omitempty"`  // wrong PINs in a row
	Until     *time.Time      `json:"until,omitempty"`     // staff_locked_out: the keypad opens again then
}

// Staff audit events.
const (
	StaffEventUnlocked          = "staff_unlocked"
	StaffEventPINWrong          = "staff_pin_wrong"
	StaffEventLockedOut         = "staff_locked_out"
	StaffEventLeft              = "staff_left"
	StaffEventOverride          = "quality_override"
	StaffEventOverrideSubmitted = "override_submitted"
)

// Why staff mode ended (StaffEvent.Reason).
const (
	StaffLeftExit     = "exit"        // staff tapped "leave staff mode"
	StaffLeftIdle     = "idle"        // IdleTimeout without a staff touch
	StaffLeftSession  = "session_end" // the learner's session ended
	StaffLeftStep     = "step"        // the learner moved on from the photo step
	StaffLeftOverride = "override"    // the override it was unlocked for is done
)

// StaffState is what the page shows of staff mode; nil when no staff PIN
// is configured (no staff mode, no overrides).
type StaffState struct {
	// Unlocked: the right PIN was entered; staff screens (on StepStaff) or
	// the override form (on a photo step) are open.
	Unlocked bool `json:"unlocked"`
	// Checking: a PIN is being checked.
	Checking bool `json:"checking"`
	// LockedUntil: too many wrong PINs; none is checked before then.
	LockedUntil *time.Time `json:"locked_until,omitempty"`
}

// staffMode is the session's side of staff mode. Guarded by Session.mu.
type staffMode struct {
	cfg   StaffConfig
	pin   PINChecker // nil: no staff mode
	audit StaffAudit
	store LockoutStore // nil: the lockout lives in memory only

	unlocked    bool
	check       *pinJob // the PIN being checked, until its answer arrives
	failures    int     // wrong PINs in a row
	lockedUntil time.Time
	lockout     time.Duration // the last lock's length; 0 before the first
	timer       Timer
	timerGen    uint64
}

// pinJob is one PIN check in flight. abandoned: staff mode ended meanwhile,
// so a right PIN unlocks nothing (a wrong one still counts).
type pinJob struct {
	abandoned bool
}

// newStaffMode takes deps with their defaults applied (Clock, Log).
func newStaffMode(cfg StaffConfig, deps Deps) staffMode {
	m := staffMode{cfg: cfg.withDefaults(), pin: deps.PIN, audit: deps.StaffAudit, store: deps.StaffLockout}
	if m.pin != nil && m.store != nil {
		m.restoreLockout(deps.Clock.Now(), deps.Log)
	}
	return m
}

// StaffMode reports whether the staff screens are open: on StepStaff with
// the right PIN entered. touch counts as staff activity and restarts the
// inactivity timer. The HTTP layer asks before serving staff data.
func (s *Session) StaffMode(touch bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := s.step == StepStaff && s.staff.unlocked
	if ok && touch {
		s.touchStaff()
	}
	return ok
}

// staffAction applies staff_open, staff_unlock and staff_exit. Callers
// hold mu.
func (s *Session) staffAction(a Action) error {
	if s.staff.pin == nil {
		return notAllowed()
	}
	switch a.Type {
	case ActStaffOpen:
		// Only from welcome: no learner's data is on screen there.
		if s.step != StepWelcome {
			return notAllowed()
		}
		s.step = StepStaff
		s.live = false
		s.touchStaff()
		s.log.Info("staff mode opened")
		return nil
	case ActStaffUnlock:
		return s.staffUnlock(a.PIN)
	case ActStaffExit:
		if s.step != StepStaff && !s.staff.unlocked {
			return notAllowed()
		}
		s.leaveStaff(StaffLeftExit)
		return nil
	}
	return notAllowed()
}

// pinPlace reports whether the PIN may be entered here: on the staff
// screen, or on a photo step that offers the override. Callers hold mu.
func (s *Session) pinPlace() bool {
	if s.step == StepStaff {
		return true
	}
	kind, ok := stepPhoto(s.step)
	return ok && s.overrideOffered(kind)
}

func (s *Session) staffUnlock(pin string) error {
	if s.staff.unlocked || s.staff.check != nil || !s.pinPlace() {
		return notAllowed()
	}
	now := s.clock.Now()
	if now.Before(s.staff.lockedUntil) {
		return invalid(KeyStaffLocked, map[string]string{"seconds": ceilSeconds(s.staff.lockedUntil.Sub(now))})
	}
	pin = strings.TrimSpace(pin)
	if pin == "" {
		return invalid(KeyStaffPINEmpty, nil)
	}
	s.touchStaff()
	job := &pinJob{}
	s.staff.check = job
	checker := s.staff.pin
	go func() {
		// Too long to be the PIN: no need to spend the hash on it.
		ok := len(pin) <= maxPINLen && checker.CheckPIN(pin)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.pinChecked(job, ok)
	}()
	return nil
}

// pinChecked applies a PIN check's answer. A wrong PIN counts even when
// staff mode ended meanwhile, so leaving cannot be used to guess for free.
// The lockout is saved before the answer is published. Callers hold mu.
func (s *Session) pinChecked(job *pinJob, ok bool) {
	s.staff.check = nil
	now := s.clock.Now()
	switch {
	case !ok:
		s.staff.failures++
		ev := StaffEvent{Time: now.UTC(), Event: StaffEventPINWrong, Failures: s.staff.failures}
		msg := &Message{Key: KeyStaffPINWrong}
		if left := s.staff.cfg.FreeAttempts - s.staff.failures; left > 0 {
			msg.Params = map[string]string{"left": strconv.Itoa(left)}
		} else {
			d := s.staff.nextLockout()
			s.staff.lockout = d
			s.staff.lockedUntil = now.Add(d)
			until := s.staff.lockedUntil.UTC()
			ev.Event, ev.Until = StaffEventLockedOut, &until
			msg = &Message{Key: KeyStaffLocked, Params: map[string]string{"seconds": ceilSeconds(d)}}
		}
		s.saveLockout()
		s.log.Warn("staff PIN wrong", "failures", s.staff.failures, "locked_for", max(s.staff.lockedUntil.Sub(now), 0))
		s.recordStaff(ev)
		if !job.abandoned { // else nobody is at the keypad any more
			s.message = msg
		}
	case job.abandoned || !s.pinPlace():
		// The right PIN, but staff mode ended while it was checked.
	default:
		s.staff.unlocked = true
		s.staff.failures = 0
		s.staff.lockedUntil = time.Time{}
		s.staff.lockout = 0
		s.saveLockout()
		s.message = nil
		s.log.Info("staff mode unlocked", "step", s.step)
		s.recordStaff(StaffEvent{Time: now.UTC(), Event: StaffEventUnlocked})
	}
	if !job.abandoned {
		s.touchStaff()
	}
	s.changed()
}

// leaveStaff ends staff mode, and leaves the staff screen for welcome.
// Callers hold mu.
func (s *Session) leaveStaff(why string) {
	open := s.staff.unlocked || s.step == StepStaff
	if s.staff.check != nil {
		s.staff.check.abandoned = true
	}
	s.staff.unlocked = false
	s.stopStaffTimer()
	if s.step == StepStaff {
		s.step = StepWelcome
		s.message = nil
	}
	if open {
		s.log.Info("staff mode ended", "why", why)
		s.recordStaff(StaffEvent{Time: s.clock.Now().UTC(), Event: StaffEventLeft, Reason: why})
	}
}

// touchStaff restarts the inactivity timer. Callers hold mu.
func (s *Session) touchStaff() {
	s.stopStaffTimer()
	gen := s.staff.timerGen
	s.staff.timer = s.clock.AfterFunc(s.staff.cfg.IdleTimeout, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.staff.timerGen != gen {
			return
		}
		s.staff.timer = nil
		if s.staff.unlocked || s.step == StepStaff {
			s.leaveStaff(StaffLeftIdle)
			s.updateStatus()
			s.armTimers()
			s.changed()
		}
	})
}

func (s *Session) stopStaffTimer() {
	s.staff.timerGen++
	if s.staff.timer != nil {
		s.staff.timer.Stop()
		s.staff.timer = nil
	}
}

func (s *Session) recordStaff(e StaffEvent) {
	if s.staff.audit != nil {
		s.staff.audit.RecordStaff(e)
	}
}

// auditSaved records that a profile with overridden photos was saved, with
// its receipt reference, so the audit ties the override to a profile the
// service can look up. Callers hold mu.
func (s *Session) auditSaved(p *api.Profile) {
	if p.Quality == nil {
		return
	}
	var kinds []api.PhotoKind
	for _, pq := range p.Quality.Photos {
		if pq.Override != nil {
			kinds = append(kinds, pq.Kind)
		}
	}
	if len(kinds) > 0 {
		s.recordStaff(StaffEvent{Time: s.clock.Now().UTC(), Event: StaffEventOverrideSubmitted,
			Photos: kinds, Reference: api.ReferenceCode(p.ID)})
	}
}

// staffSnapshot is the page's view of staff mode. Callers hold mu.
func (s *Session) staffSnapshot() *StaffState {
	if s.staff.pin == nil {
		return nil
	}
	st := &StaffState{Unlocked: s.staff.unlocked, Checking: s.staff.check != nil && !s.staff.check.abandoned}
	if until := s.staff.lockedUntil; s.clock.Now().Before(until) {
		st.LockedUntil = &until
	}
	return st
}

// ceilSeconds is d in whole seconds, rounded up: "try again in 0 seconds"
// would be a lie.
func ceilSeconds(d time.Duration) string {
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}
