package session

import "time"

// armTimers restarts the timers for the current step: the idle warning and
// reset during a session, the receipt's own timeout, nothing while saving
// (a commit is never abandoned). Callers hold mu.
func (s *Session) armTimers() {
	s.stopTimers()
	s.idleWarning = false
	s.idleDeadline = time.Time{}
	switch s.step {
	case StepSaving:
	case StepStaff: // staff mode has its own inactivity timer (staff.go)
	case StepReceipt:
		s.after(s.cfg.ReceiptTimeout, func() { s.reset(false, "") })
	case StepWelcome:
		// Put the next learner's screen back in the default language.
		if s.lang != s.cfg.DefaultLanguage {
			s.after(s.cfg.IdleTimeout, func() { s.reset(false, "") })
		}
	default:
		s.after(s.cfg.IdleTimeout-s.cfg.IdleWarning, func() {
			s.idleWarning = true
			s.idleDeadline = s.clock.Now().Add(s.cfg.IdleWarning)
		})
		s.after(s.cfg.IdleTimeout, func() { s.reset(false, KeySessionTimedOut) })
	}
}

// after runs f under mu after d, unless the timers were re-armed meanwhile.
func (s *Session) after(d time.Duration, f func()) {
	gen := s.timerGen
	t := s.clock.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.timerGen != gen {
			return // stopped after it had already fired
		}
		f()
		s.changed()
	})
	s.timers = append(s.timers, t)
}

func (s *Session) stopTimers() {
	s.timerGen++
	for _, t := range s.timers {
		t.Stop()
	}
	s.timers = s.timers[:0]
}

// reset ends the session: any capture or lookup is abandoned, the light goes
// off, photos are wiped, name and email dropped, and the page returns to
// welcome. keepLang is for the same learner staying (decline, leaving the
// status screen); otherwise the next learner starts in the default language.
// Callers hold mu.
func (s *Session) reset(keepLang bool, key string) {
	s.leaveStaff(StaffLeftSession)
	s.endCapture("")
	s.cancelLookup()
	s.wipePhotos()
	s.email, s.suggestion, s.name = "", "", ""
	s.idType, s.twoSided = "", false
	s.account = AccountNotChecked
	s.lookup, s.receipt = nil, nil
	s.returnToReview, s.live, s.placedInSession = false, false, false
	s.step = StepWelcome
	if !keepLang {
		s.lang = s.cfg.DefaultLanguage
	}
	s.message = nil
	if key != "" {
		s.message = &Message{Key: key}
	}
	if s.cradle != nil && s.cradle.Present() {
		s.present = true
		s.cardLeftBehind()
	}
	s.updateStatus()
	s.armTimers()
}
