package session

// SetViewers tells the session how many remote admins are watching the
// camera (the live preview). While any are, every State carries the count
// and the page shows a banner that says so: a learner in front of the
// kiosk must know when someone is looking. It is safe to call from any
// goroutine; the state changes only when the count does.
func (s *Session) SetViewers(n int) {
	n = max(0, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.viewers == n {
		return
	}
	s.viewers = n
	s.changed()
}
