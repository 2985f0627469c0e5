package session

// SetCameraState records the camera's health as kioskd's camera monitor
// sees it: a capture.State name ("ok", "disconnected", "busy",
// "no_permission", "black", "frozen", "wrong_camera", "starting"), or ""
// for unknown. The page tells the learner on the photo steps while it is
// not "ok"; staff get the details from the diagnostics. Calling it with the
// current value changes nothing.
func (s *Session) SetCameraState(state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cameraState == state {
		return
	}
	s.cameraState = state
	s.changed()
}
