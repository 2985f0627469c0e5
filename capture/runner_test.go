package capture

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// step is what one Stream call of fakeCamera does.
type step struct {
	frames int   // frames to emit first
	err    error // then return this error
	end    bool  // or return nil; with neither, run until ctx ends
}

// fakeCamera plays a script of Stream calls and signals each frame emitted.
type fakeCamera struct {
	mu     sync.Mutex
	script []step
	calls  int
	frames chan struct{} // one value per emitted frame, never blocks the camera
}

func (c *fakeCamera) Name() string { return "fake0" }

func (c *fakeCamera) Stream(ctx context.Context, emit func(*Frame)) error {
	c.mu.Lock()
	i := c.calls
	c.calls++
	c.mu.Unlock()
	if i >= len(c.script) {
		<-ctx.Done()
		return ctx.Err()
	}
	s := c.script[i]
	for range s.frames {
		emit(solidFrame(8, 8, 0, time.Now()))
		select {
		case c.frames <- struct{}{}:
		default:
		}
	}
	if s.err != nil || s.end {
		return s.err
	}
	<-ctx.Done()
	return ctx.Err()
}

// sleepRecord is one backoff the runner asked for, and what it showed then.
type sleepRecord struct {
	d       time.Duration
	state   State
	lastErr string
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRunner_ReconnectsWithGrowingCappedBackoff(t *testing.T) {
	errUnplug := errors.New("no such device")
	tests := []struct {
		name      string
		script    []step
		wantSleep []time.Duration // jitter pinned to the top of the range
		wantErr   string          // last error seen during each backoff
	}{
		{
			name:      "fails twice then streams",
			script:    []step{{err: errUnplug}, {err: errUnplug}, {frames: 3}},
			wantSleep: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond},
			wantErr:   "no such device",
		},
		{
			name:      "growth is capped",
			script:    []step{{err: errUnplug}, {err: errUnplug}, {err: errUnplug}, {err: errUnplug}, {err: errUnplug}, {frames: 1}},
			wantSleep: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond},
			wantErr:   "no such device",
		},
		{
			name:      "a working stream resets the backoff",
			script:    []step{{err: errUnplug}, {err: errUnplug}, {frames: 2, err: errUnplug}, {err: errUnplug}, {frames: 1}},
			wantSleep: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond},
			wantErr:   "no such device",
		},
		{
			name:      "stream ending without error counts as a failure",
			script:    []step{{frames: 1, end: true}, {frames: 1}},
			wantSleep: []time.Duration{100 * time.Millisecond},
			wantErr:   "ended",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cam := &fakeCamera{script: tt.script, frames: make(chan struct{}, 1)}
			hub := NewHub()
			var sleeps []sleepRecord
			r := &Runner{Camera: cam, Hub: hub, Log: quietLog(), MinBackoff: 100 * time.Millisecond, MaxBackoff: 500 * time.Millisecond}
			r.jitter = func() float64 { return 1 }
			r.Sleep = func(ctx context.Context, d time.Duration) error {
				sleeps = append(sleeps, sleepRecord{d, r.State(), r.LastError()})
				return ctx.Err()
			}
			if got := r.State(); got != StateStarting {
				t.Errorf("state before Run = %v, want %v", got, StateStarting)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()

			// The last step streams until ctx ends: wait until its frames
			// (and every earlier one) are in the hub.
			var want uint64
			for _, s := range tt.script {
				want += uint64(s.frames)
			}
			for hub.Stats().Published < want {
				<-cam.frames
			}
			if got := r.State(); got != StateStreaming {
				t.Errorf("state while streaming = %v (%q), want %v", got, got.String(), StateStreaming)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Run = %v, want context.Canceled", err)
			}

			if len(sleeps) != len(tt.wantSleep) {
				t.Fatalf("runner slept %d times (%v), want %d (%v)", len(sleeps), sleeps, len(tt.wantSleep), tt.wantSleep)
			}
			for i, s := range sleeps {
				if s.d != tt.wantSleep[i] {
					t.Errorf("backoff %d = %v, want %v", i, s.d, tt.wantSleep[i])
				}
				if s.state != StateDisconnected || s.state.String() != "disconnected" {
					t.Errorf("state during backoff %d = %v, want disconnected", i, s.state)
				}
				if !strings.Contains(s.lastErr, tt.wantErr) {
					t.Errorf("last error during backoff %d = %q, want it to contain %q", i, s.lastErr, tt.wantErr)
				}
			}
			if got := hub.Source(); got != "fake0" {
				t.Errorf("hub source = %q, want the camera name %q", got, "fake0")
			}
		})
	}
}

func TestRunner_Backoff(t *testing.T) {
	r := &Runner{MinBackoff: time.Second, MaxBackoff: 30 * time.Second}
	tests := []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{0, 0, 500 * time.Millisecond},
		{0, 0.999999, time.Second},
		{1, 0, time.Second},
		{3, 0.5, 6 * time.Second}, // base 8s: 4s fixed + half of 4s
		{4, 0.999999, 16 * time.Second},
		{5, 0.999999, 30 * time.Second}, // capped
		{5, 0, 15 * time.Second},
		{100, 0.999999, 30 * time.Second},
	}
	for _, tt := range tests {
		r.jitter = func() float64 { return tt.jitter }
		got := r.backoff(tt.n)
		if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("backoff(n=%d, jitter=%v) = %v, want %v", tt.n, tt.jitter, got, tt.want)
		}
	}
	// With real jitter every wait stays inside [base/2, base].
	r.jitter = nil
	for n := range 8 {
		base := min(time.Second<<n, 30*time.Second)
		if got := r.backoff(n); got < base/2 || got > base {
			t.Errorf("backoff(%d) = %v, want in [%v, %v]", n, got, base/2, base)
		}
	}
}

func TestRunner_Defaults(t *testing.T) {
	r := &Runner{jitter: func() float64 { return 0.999999999 }}
	if got := r.backoff(0); got < DefaultMinBackoff-time.Millisecond || got > DefaultMinBackoff {
		t.Errorf("first backoff = %v, want about DefaultMinBackoff (%v)", got, DefaultMinBackoff)
	}
	if got := r.backoff(1000); got < DefaultMaxBackoff-time.Millisecond || got > DefaultMaxBackoff {
		t.Errorf("long backoff = %v, want about DefaultMaxBackoff (%v)", got, DefaultMaxBackoff)
	}
}

// A camera that goes quiet without an error is treated as unplugged.
func TestRunner_StallCountsAsFailure(t *testing.T) {
	cam := &fakeCamera{script: []step{{frames: 1}}, frames: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got sleepRecord
	r := &Runner{Camera: cam, Hub: NewHub(), Log: quietLog(), StallTimeout: time.Millisecond}
	r.Sleep = func(ctx context.Context, d time.Duration) error {
		got = sleepRecord{d, r.State(), r.LastError()}
		cancel()
		return ctx.Err()
	}
	if err := r.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if got.state != StateDisconnected || got.lastErr != ErrStalled.Error() {
		t.Errorf("after a stall: state %v, last error %q; want disconnected, %q", got.state, got.lastErr, ErrStalled)
	}
}

func TestRunner_NeedsCameraAndHub(t *testing.T) {
	tests := []struct {
		name string
		r    *Runner
	}{
		{"no camera", &Runner{Hub: NewHub()}},
		{"no hub", &Runner{Camera: &fakeCamera{}}},
	}
	for _, tt := range tests {
		if err := tt.r.Run(context.Background()); err == nil {
			t.Errorf("%s: Run = nil, want an error", tt.name)
		}
	}
}

func TestState_String(t *testing.T) {
	tests := []struct {
		s    State
		want string
	}{
		{StateStarting, "starting"},
		{StateStreaming, "ok"},
		{StateDisconnected, "disconnected"},
		{State(42), "unknown"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("State(%d).String() = %q, want %q", int(tt.s), got, tt.want)
		}
	}
}
