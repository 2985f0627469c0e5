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

// State is the health of the camera as the UI, staff and health checks see
// it. One vocabulary for everyone: the Runner sets the first five from what
// the camera does; capture/diag refines StateStreaming into black or frozen
// and StateDisconnected into wrong_camera from what the frames and the
// device nodes show.
type State int

// Camera states. The String values are stable: the page, the staff API and
// the message catalogues use them.
const (
	StateStarting     State = iota // opening the camera; no frame yet
	StateStreaming                 // frames are arriving ("ok")
	StateDisconnected              // the camera failed or is not there; reopening after a backoff
	StateBusy                      // another program is streaming from it
	StateNoPermission              // this process may not open the device node
	StateBlack                     // streaming, but the picture is black (set by diag)
	StateFrozen                    // streaming, but the picture never changes (set by diag)
	StateWrongCamera               // the configured camera is missing, another one is there (set by diag)
)

var stateNames = [...]string{
	StateStarting:     "starting",
	StateStreaming:    "ok",
	StateDisconnected: "disconnected",
	StateBusy:         "busy",
	StateNoPermission: "no_permission",
	StateBlack:        "black",
	StateFrozen:       "frozen",
	StateWrongCamera:  "wrong_camera",
}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// MarshalText writes the state's name, so JSON shows "ok", not 1.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// States lists every state, for catalogues and tests.
func States() []State {
	out := make([]State, len(stateNames))
	for i := range out {
		out[i] = State(i)
	}
	return out
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
// unplugged, ENODEV, a stall, EBUSY, EACCES) it shows the matching state
// (StateForError), waits a jittered exponential backoff and reopens the
// camera, for as long as its context lives: a replugged camera, a program
// that let go of it or a fixed permission comes back without restarting the
// process.
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
	last := StateStarting
	for {
		got, err := r.stream(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			err = errStreamEnded
		}
		state := StateForError(err)
		if got || state != last {
			// It worked for a while, or it fails differently now: this is
			// a new outage, not the next failure of the same one. The
			// second case matters at replug: the node appears root-only
			// and udev fixes its mode a few milliseconds later, so an
			// EACCES right after "not found" deserves a quick retry, not
			// the long wait the unplug had grown to.
			failures = 0
		}
		last = state
		wait := r.backoff(failures)
		failures++
		r.setState(state, err.Error())
		log.Warn("camera unavailable", "state", state.String(), "err", err, "retry_in", wait, "failures", failures)
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
