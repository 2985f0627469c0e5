package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// State is the health of a Runner's camera as the UI and health checks see it.
type State int

// Runner states.
const (
	StateStarting     State = iota // opening the camera; no frame yet
	StateStreaming                 // frames are arriving
	StateDisconnected              // the camera failed; reopening after a backoff
)

func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateStreaming:
		return "ok"
	case StateDisconnected:
		return "disconnected"
	}
	return "unknown"
}

// Backoff defaults for Runner.
const (
	DefaultMinBackoff = 250 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
)

// ErrStalled is the error a Runner records when the camera delivered no
// frame within StallTimeout.
var ErrStalled = errors.New("camera stalled: no frame")

// errStreamEnded is recorded when Stream returns nil while the runner's
// context is still alive: the camera stopped without saying why.
var errStreamEnded = errors.New("camera stream ended")

// Runner keeps a Camera streaming into a Hub. When the camera fails (USB
// unplugged, ENODEV, a stall) it marks itself disconnected, waits a jittered
// exponential backoff and reopens the camera, for as long as its context
// lives: a replugged camera comes back without restarting the process.
type Runner struct {
	Camera Camera
	Hub    *Hub
	Log    *slog.Logger // nil: slog.Default()
	// MinBackoff is the first wait after a failure; it doubles on each
	// failure in a row up to MaxBackoff. Zero values take the defaults.
	MinBackoff, MaxBackoff time.Duration
	// StallTimeout, if positive, treats a camera that delivers no frame for
	// that long as failed: some USB cameras stop sending without an error.
	StallTimeout time.Duration
	// Sleep waits d or until ctx ends (returning ctx.Err()). Nil uses a
	// real timer; tests inject one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error

	jitter func() float64 // in [0,1); tests pin it

	mu      sync.Mutex
	state   State
	lastErr string
}

// State returns the camera's current state.
func (r *Runner) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// LastError returns the most recent camera error, or "" if there was none.
// It is kept after the camera recovers, for diagnostics.
func (r *Runner) LastError() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// Run streams the camera into the hub until ctx ends, then returns
// ctx.Err(). It returns earlier only if Camera or Hub is missing.
func (r *Runner) Run(ctx context.Context) error {
	if r.Camera == nil || r.Hub == nil {
		return errors.New("capture runner: camera and hub are required")
	}
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	name := r.Camera.Name()
	log = log.With("camera", name)
	r.Hub.SetSource(name)
	r.setState(StateStarting, "")

	failures := 0
	for {
		got, err := r.stream(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			err = errStreamEnded
		}
		if got {
			// It worked for a while: this is a new outage, not the next
			// failure of the same one.
			failures = 0
		}
		wait := r.backoff(failures)
		failures++
		r.setState(StateDisconnected, err.Error())
		log.Warn("camera disconnected", "err", err, "retry_in", wait, "failures", failures)
		if err := r.sleep(ctx, wait); err != nil {
			return ctx.Err()
		}
		log.Info("camera reopening")
	}
}

// stream runs one Stream call and reports whether any frame arrived.
func (r *Runner) stream(ctx context.Context) (bool, error) {
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var stall *time.Timer
	if r.StallTimeout > 0 {
		stall = time.AfterFunc(r.StallTimeout, func() { cancel(ErrStalled) })
		defer stall.Stop()
	}
	// emit may run on the camera's own goroutine.
	var got atomic.Bool
	err := r.Camera.Stream(sctx, func(f *Frame) {
		if stall != nil {
			stall.Reset(r.StallTimeout)
		}
		if !got.Swap(true) {
			r.setState(StateStreaming, "")
		}
		r.Hub.Publish(f)
	})
	if cause := context.Cause(sctx); errors.Is(cause, ErrStalled) && ctx.Err() == nil {
		return got.Load(), ErrStalled
	}
	if err != nil {
		return got.Load(), fmt.Errorf("stream: %w", err)
	}
	return got.Load(), nil
}

// backoff is the wait after the n-th failure in a row (n from 0): doubling
// from MinBackoff, capped at MaxBackoff, with "equal jitter" (half fixed,
// half random) so a fleet that lost power together does not retry in step.
func (r *Runner) backoff(n int) time.Duration {
	lo, hi := r.MinBackoff, r.MaxBackoff
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	if hi < lo {
		hi = lo
	}
	d := lo
	for i := 0; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	j := r.jitter
	if j == nil {
		j = rand.Float64
	}
	return d/2 + time.Duration(j()*float64(d/2))
}

func (r *Runner) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Runner) setState(s State, errText string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state = s
	if errText != "" {
		r.lastErr = errText
	}
}
