package simcam

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
)

// TestUnplug_ThroughTheRunner: an unplugged simulated camera takes the
// same path as a real one pulled out: the Runner shows "disconnected" with
// the error, and streams again once it is plugged back in.
func TestUnplug_ThroughTheRunner(t *testing.T) {
	cam := New(Options{Width: 160, Height: 120, FPS: 30})
	hub := capture.NewHub()
	run := &capture.Runner{Camera: cam, Hub: hub, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run.Run(ctx) }()
	defer func() { cancel(); <-done }()

	waitState := func(want capture.State) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for run.State() != want {
			if time.Now().After(deadline) {
				t.Fatalf("runner state %s, want %s (last error %q)", run.State(), want, run.LastError())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitState(capture.StateStreaming)
	cam.Unplug()
	waitState(capture.StateDisconnected)
	if !cam.Unplugged() {
		t.Error("Unplugged() = false after Unplug")
	}
	if err := cam.Stream(context.Background(), func(*capture.Frame) { t.Error("a frame from an unplugged camera") }); !errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("Stream while unplugged = %v, want capture.ErrNoDevice", err)
	}
	cam.Plug()
	waitState(capture.StateStreaming)
}
