package session

import (
	"testing"
)

func TestSetCameraState_ReachesSubscribers(t *testing.T) {
	s := New(Config{}, Deps{Camera: newFakeCamera(), Saver: newFakeSaver()})
	states, cancel := s.Subscribe()
	defer cancel()
	first := <-states
	if first.CameraState != "" {
		t.Fatalf("camera state before any report = %q, want unknown", first.CameraState)
	}
	s.SetCameraState("disconnected")
	if got := (<-states).CameraState; got != "disconnected" {
		t.Errorf("subscriber saw camera state %q, want disconnected", got)
	}
	rev := s.State().Rev
	s.SetCameraState("disconnected")
	if got := s.State().Rev; got != rev {
		t.Errorf("setting the same state again changed rev %d -> %d", rev, got)
	}
	s.SetCameraState("ok")
	if got := s.State().CameraState; got != "ok" {
		t.Errorf("camera state = %q, want ok", got)
	}
}
