package main

import (
	"context"
	"image"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// stuckQueue is an outbox whose reads block until release is closed.
type stuckQueue struct {
	release chan struct{}
	n       atomic.Int32
}

func (q *stuckQueue) Stats() (outbox.Stats, error) {
	q.n.Add(1)
	<-q.release
	return outbox.Stats{}, nil
}

func (q *stuckQueue) calls() int { return int(q.n.Load()) }

// scriptedCamera is a camera that either delivers frames, fails at once
// (unplugged), or blocks while opening; each Stream call is announced.
type scriptedCamera struct {
	mode    string // "stream", "unplugged", "stuck-open"
	streams chan struct{}
	frames  chan struct{}
}

func (c *scriptedCamera) Name() string { return "scripted" }

func (c *scriptedCamera) Stream(ctx context.Context, emit func(*capture.Frame)) error {
	// Announced and waited for: the test paces the loop.
	select {
	case c.streams <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	switch c.mode {
	case "unplugged":
		return capture.ErrNoDevice
	case "stuck-open":
		select {} // an open(2) that never returns
	}
	img := image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio420)
	for {
		emit(capture.NewImageFrame(img, time.Now()))
		select {
		case c.frames <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
	}
}

// fakeNow is a clock the test moves by hand.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// TestCaptureProgress_HungLoopFailsAUnpluggedCameraDoesNot runs a real
// capture.Runner on scripted cameras. Time for the liveness check is a
// fake clock: the test jumps it past hangAfter, then waits (on channels)
// for the loop's next step; a live loop has marked progress at the new
// time by then, a hung one has not.
func TestCaptureProgress_HungLoopFailsAUnpluggedCameraDoesNot(t *testing.T) {
	const hangAfter = 14 * time.Second
	for _, tt := range []struct {
		name     string
		mode     string
		hangEmit bool
		wantErr  string // "" : alive
	}{
		{"streaming", "stream", false, ""},
		{"unplugged and retrying", "unplugged", false, ""},
		{"stuck opening the camera", "stuck-open", false, "opening the camera"},
		{"stuck in emit", "stream", true, "no progress"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cam := &scriptedCamera{mode: tt.mode, streams: make(chan struct{}), frames: make(chan struct{})}
			r := &capture.Runner{Camera: cam, Hub: capture.NewHub(), MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
				Log: slog.New(slog.DiscardHandler)}
			hung := make(chan struct{})
			var hang func()
			if tt.hangEmit {
				var once sync.Once
				hang = func() { once.Do(func() { close(hung) }); select {} }
			}
			clock := &fakeNow{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			p := trackCapture(r, hangAfter, hang)
			p.now = clock.now
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go r.Run(ctx) // a hung one is left behind with the test binary

			<-cam.streams // the loop runs
			clock.add(hangAfter + time.Second)
			// Wait for the loop's next steps after the jump: the first may
			// have been marked before it, the second cannot have been.
			switch {
			case tt.hangEmit:
				<-hung
			case tt.mode == "stream":
				<-cam.frames
				<-cam.frames
			case tt.mode == "unplugged":
				<-cam.streams
				<-cam.streams
			}
			err := p.check(context.Background())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("check: %v, want alive", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("check: %v, want a failure mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestCaptureHangAfter_CoversAStallAndABackoff(t *testing.T) {
	if got, want := captureHangAfter(3*time.Second, time.Second), 14*time.Second; got != want {
		t.Errorf("captureHangAfter(3s, 1s) = %s, want %s", got, want)
	}
}
