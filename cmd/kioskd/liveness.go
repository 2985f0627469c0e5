package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// The watchdog (notify.go) pings systemd only while these liveness checks
// pass. They ask "is the loop alive?", not "is the hardware fine?": the
// two must not be confused, or systemd restarts kioskd for things a
// restart cannot fix.
//
//   - A camera that is unplugged, busy or forbidden is NOT a liveness
//     failure. The capture loop (capture.Runner) is alive and retrying: it
//     enters Stream, fails at once with ENODEV/EBUSY/EACCES, waits its
//     backoff (at most camera.max_backoff) and tries again. Each of those
//     steps is progress. Killing kioskd would change nothing for the
//     camera and would put the kiosk in a restart loop that also drops the
//     learner's session and the preview; the learner and staff are told
//     about the camera instead (/healthz, the diagnostics, the page).
//   - A HUNG loop is a liveness failure: a goroutine stuck in a driver
//     ioctl, in emit behind a deadlock, in an open that never returns. It
//     shows as no progress at all: no frame, no Stream returning, no new
//     attempt, for longer than any healthy path takes (stall timeout +
//     backoff + a margin). Only a restart helps, and that is what the
//     missing pings get from systemd.

// Progress phases of the capture loop, for the log line when it hangs.
const (
	phaseIdle      int32 = iota // Run not started yet
	phaseOpening                // inside Stream, no frame yet
	phaseStreaming              // inside Stream, frames arriving
	phaseBetween                // Stream returned: backoff before the next attempt
)

var phaseNames = [...]string{"idle", "opening the camera", "streaming", "waiting to reopen the camera"}

// captureProgress wraps the Runner's camera and notes every sign of life
// of the capture loop: entering Stream, each frame handed on, Stream
// returning.
type captureProgress struct {
	capture.Camera
	now       func() time.Time
	hangAfter time.Duration
	hang      func() // the hang point, for the watchdog test; nil: none

	last  atomic.Int64 // UnixNano of the last sign of life
	phase atomic.Int32
}

// trackCapture puts a captureProgress between the Runner and its camera.
// It swaps the field rather than wrapping the camera earlier because the
// camera's concrete type picks the diagnostics (a V4L2 node gets device
// checks); call it before the Runner runs.
func trackCapture(r *capture.Runner, hangAfter time.Duration, hang func()) *captureProgress {
	p := &captureProgress{Camera: r.Camera, now: time.Now, hangAfter: hangAfter, hang: hang}
	p.mark(phaseIdle)
	r.Camera = p
	return p
}

// captureHangAfter is how long the loop may go without progress: a stall
// is noticed after camera.stall_timeout, the next attempt comes within
// camera.max_backoff, and 10 s covers a slow open (a UVC camera
// re-enumerating after a USB reset takes a few seconds).
func captureHangAfter(stall, backoff time.Duration) time.Duration {
	return stall + backoff + 10*time.Second
}

func (p *captureProgress) mark(phase int32) {
	p.phase.Store(phase)
	p.last.Store(p.now().UnixNano())
}

// Stream passes the stream on, noting progress around it and after every
// frame. The mark after emit returns is the one that matters: a loop stuck
// inside emit (the hub, or the hang point) never reaches it.
func (p *captureProgress) Stream(ctx context.Context, emit func(*capture.Frame)) error {
	p.mark(phaseOpening)
	defer p.mark(phaseBetween)
	return p.Camera.Stream(ctx, func(f *capture.Frame) {
		if p.hang != nil {
			p.hang()
		}
		emit(f)
		p.mark(phaseStreaming)
	})
}

// check fails when the loop has shown no sign of life for hangAfter.
func (p *captureProgress) check(context.Context) error {
	since := p.now().Sub(time.Unix(0, p.last.Load()))
	if since <= p.hangAfter {
		return nil
	}
	return fmt.Errorf("capture loop made no progress for %s (last seen %s)", since.Round(time.Second), phaseNames[p.phase.Load()])
}

// queueProbe asks the outbox for its counts (one bbolt read transaction)
// and gives up waiting after timeout. A read that never returns stays
// outstanding and is waited for again on the next check, never started
// twice, so a stuck store does not pile up goroutines.
type queueProbe struct {
	box     interface{ Stats() (outbox.Stats, error) }
	timeout time.Duration
	pending chan error // nil: no read outstanding; only the watchdog's goroutine uses it
}

// queueProbeTimeout: a read transaction takes microseconds (it never waits
// for a writer's fsync); five seconds is a store that is stuck, not slow.
const queueProbeTimeout = 5 * time.Second

func (q *queueProbe) check(ctx context.Context) error {
	if q.pending == nil {
		ch := make(chan error, 1)
		q.pending = ch
		go func() {
			_, err := q.box.Stats()
			ch <- err
		}()
	}
	t := time.NewTimer(q.timeout)
	defer t.Stop()
	select {
	case err := <-q.pending:
		q.pending = nil
		if err != nil {
			return fmt.Errorf("outbox read: %w", err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("outbox read did not answer within %s", q.timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hangpointEnv names a place where kioskd blocks for good, for the test
// that proves the watchdog stops pinging: "camera-emit:N" blocks the
// capture loop inside the N-th frame's emit (default 1). Only tests set it.
const hangpointEnv = "IDKIOSK_HANGPOINT"

// hangpointFromEnv returns the hang for the capture loop, or nil.
func hangpointFromEnv(log *slog.Logger) (func(), error) {
	name, n, err := pointFromEnv(hangpointEnv)
	if name == "" || err != nil {
		return nil, err
	}
	if name != "camera-emit" {
		return nil, errors.New(hangpointEnv + ": the only hang point is camera-emit")
	}
	log.Warn("hang point armed: the capture loop will block for good", "point", name, "frame", n)
	var frames atomic.Int64
	return func() {
		if frames.Add(1) != n {
			return
		}
		log.Warn("hang point reached: capture loop blocked", "point", name)
		select {} // for real: only a restart gets it out
	}, nil
}
