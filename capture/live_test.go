package capture

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// An unplugged camera must never leave its last frame on screen: as soon as
// the runner is not streaming, the preview sends the placeholder (not after
// StallTimeout), even if a frame newer than the last one sent is waiting.
func TestPreview_PlaceholderAtOnceWhenNotLive(t *testing.T) {
	hub := NewHub()
	var live atomic.Bool
	live.Store(true)
	// StallTimeout an hour: only Live can bring the placeholder.
	mr, _, _ := openPreview(t, hub, PreviewOptions{MaxFPS: 1000, StallTimeout: time.Hour, Live: live.Load})
	hub.Publish(solidFrame(64, 48, 235, time.Now()))
	if got := readPart(t, mr, 64, 48); got < 200 {
		t.Fatalf("first part luma = %.0f, want the bright live frame", got)
	}
	// Unplugged: no new frame, and the stall timeout is an hour away.
	live.Store(false)
	if got := readPart(t, mr, 64, 48); got > 80 {
		t.Errorf("part while not live has mean luma %.0f, want the dark placeholder", got)
	}
	// A frame that reaches the hub while the runner says "not live" (the
	// last one before the failure was noticed) is not shown either.
	hub.Publish(solidFrame(64, 48, 230, time.Now()))
	if got := readPart(t, mr, 64, 48); got > 80 {
		t.Errorf("second part while not live has mean luma %.0f, want the placeholder again", got)
	}
	// Back: the first new frame is shown.
	live.Store(true)
	hub.Publish(solidFrame(64, 48, 240, time.Now()))
	for range 5 {
		if readPart(t, mr, 64, 48) > 200 {
			return
		}
	}
	t.Errorf("no live frame in 5 parts after the camera came back")
}

func TestStateForError(t *testing.T) {
	tests := []struct {
		err  error
		want State
	}{
		{fmt.Errorf("open /dev/video0: %w", ErrBusy), StateBusy},
		{fmt.Errorf("open /dev/video0: %w", ErrNoPermission), StateNoPermission},
		{fmt.Errorf("open /dev/video0: %w", ErrNoDevice), StateDisconnected},
		{ErrStalled, StateDisconnected},
		{errors.New("something else"), StateDisconnected},
	}
	for _, tt := range tests {
		if got := StateForError(tt.err); got != tt.want {
			t.Errorf("StateForError(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// Each kind of failure shows as its own state, and a change of kind
// retries quickly instead of continuing the grown backoff.
func TestRunner_FailureKindsAndBackoffReset(t *testing.T) {
	busy := fmt.Errorf("set format: %w", ErrBusy)
	perm := fmt.Errorf("open: %w", ErrNoPermission)
	gone := fmt.Errorf("open: %w", ErrNoDevice)
	cam := &fakeCamera{
		script: []step{{err: gone}, {err: gone}, {err: gone}, {err: perm}, {err: busy}, {err: busy}, {frames: 1}},
		frames: make(chan struct{}, 1),
	}
	hub := NewHub()
	var sleeps []sleepRecord
	r := &Runner{Camera: cam, Hub: hub, Log: quietLog(), MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	r.jitter = func() float64 { return 1 }
	r.Sleep = func(ctx context.Context, d time.Duration) error {
		sleeps = append(sleeps, sleepRecord{d, r.State(), r.LastError()})
		return ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	<-cam.frames
	cancel()
	<-done

	want := []struct {
		d     time.Duration
		state State
	}{
		{100 * time.Millisecond, StateDisconnected},
		{200 * time.Millisecond, StateDisconnected},
		{400 * time.Millisecond, StateDisconnected},
		{100 * time.Millisecond, StateNoPermission}, // new kind: quick retry
		{100 * time.Millisecond, StateBusy},
		{200 * time.Millisecond, StateBusy},
	}
	if len(sleeps) != len(want) {
		t.Fatalf("runner slept %d times (%v), want %d", len(sleeps), sleeps, len(want))
	}
	for i, s := range sleeps {
		if s.d != want[i].d || s.state != want[i].state {
			t.Errorf("backoff %d: %v in state %v, want %v in state %v", i, s.d, s.state, want[i].d, want[i].state)
		}
	}
	if got := r.State(); got != StateStreaming {
		t.Errorf("state after the camera came back = %v, want ok", got)
	}
}

func TestState_NamesAreStable(t *testing.T) {
	want := []string{"starting", "ok", "disconnected", "busy", "no_permission", "black", "frozen", "wrong_camera"}
	got := States()
	if len(got) != len(want) {
		t.Fatalf("States() has %d states, want %d", len(got), len(want))
	}
	for i, s := range got {
		if s.String() != want[i] {
			t.Errorf("state %d = %q, want %q", i, s, want[i])
		}
		if b, _ := s.MarshalText(); string(b) != want[i] {
			t.Errorf("state %d MarshalText = %q, want %q", i, b, want[i])
		}
	}
}
