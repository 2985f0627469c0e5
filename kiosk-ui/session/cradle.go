package session

import (
	"context"

	"github.com/idkiosk/idkiosk/device/cradle"
)

// onCradle applies one debounced presence edge.
func (s *Session) onCradle(ctx context.Context, ev cradle.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.present = ev.Present
	if ev.Present {
		if inFlow(s.step) {
			s.placedInSession = true
		}
		_, photoStep := stepPhoto(s.step)
		if photoStep && s.step != StepFace && s.capture == nil && s.pending == nil {
			s.message = nil
			s.live = true
			s.startCapture(ctx, modeCradle, true)
		}
	} else {
		if s.capture != nil && s.capture.mode == modeCradle {
			s.endCapture(KeyCardRemoved)
		}
		if s.leftBehind {
			s.leftBehind = false
			if s.message != nil && s.message.Key == KeyCardLeftBehind {
				s.message = nil
			}
		}
	}
	s.updateStatus()
	if inFlow(s.step) {
		s.armTimers() // handling the card is activity
	}
	s.changed()
}

// setLight switches the cradle light. A failure is logged, not fatal: a
// photo without the light is better than no photo. Callers hold mu.
func (s *Session) setLight(on bool) {
	if s.cradle == nil {
		return
	}
	if err := s.cradle.SetLight(on); err != nil {
		s.log.Error("cradle light", "on", on, "err", err)
		if on {
			return
		}
	}
	s.light = on
}

// updateStatus sets the cradle's status lights from the session: ready on
// welcome, busy during a session, attention while a card is left behind.
// Callers hold mu.
func (s *Session) updateStatus() {
	if s.cradle == nil {
		return
	}
	want := cradle.StatusBusy
	switch {
	case s.leftBehind:
		want = cradle.StatusAttention
	case s.step == StepWelcome:
		want = cradle.StatusReady
	}
	if s.statusSet && s.status == want {
		return
	}
	if err := s.cradle.SetStatus(want); err != nil {
		s.log.Error("cradle status", "status", want.String(), "err", err)
		return
	}
	s.status, s.statusSet = want, true
}

// cardLeftBehind flags a card still in the cradle at the end of a session,
// so the next learner does not walk off with someone else's ID.
func (s *Session) cardLeftBehind() {
	s.leftBehind = true
	s.message = &Message{Key: KeyCardLeftBehind}
}
