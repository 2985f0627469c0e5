package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/sync/api"
)

// fakeClock runs AfterFunc callbacks when Advance moves time past them, in
// the goroutine that calls Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	when    time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, when: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves time forward by d, firing due timers in deadline order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].when.Before(c.timers[j].when) })
		var next *fakeTimer
		for i, t := range c.timers {
			if t.stopped {
				continue
			}
			if !t.when.After(end) {
				next = t
				c.timers = slices.Delete(c.timers, i, i+1)
			}
			break
		}
		if next == nil {
			c.now = end
			c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool { return t.stopped })
			c.mu.Unlock()
			return
		}
		next.stopped = true
		c.now = next.when
		c.mu.Unlock()
		next.f()
	}
}

// fakeCamera hands out numbered stills. With block set, Still waits for a
// release or for ctx.
type fakeCamera struct {
	mu        sync.Mutex
	n         int
	block     bool
	ignoreCtx bool // a camera driver stuck in a syscall
	fail      error
	calls     chan struct{}      // one send per Still call
	release   chan capture.Still // a blocked Still returns this
	cradle    *fakeCradle        // to record whether the light was on during Still
	lightOn   []bool
	ctxErr    chan error // why a blocked Still gave up
}

func newFakeCamera() *fakeCamera {
	return &fakeCamera{calls: make(chan struct{}, 16), release: make(chan capture.Still), ctxErr: make(chan error, 16)}
}

func (c *fakeCamera) still() capture.Still {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return capture.Still{
		JPEG:   []byte(fmt.Sprintf("\xff\xd8jpeg-%d\xff\xd9", c.n)),
		Width:  1280,
		Height: 720,
		Time:   time.Date(2026, 3, 14, 9, 31, c.n, 0, time.UTC),
		Source: "fake",
	}
}

func (c *fakeCamera) Still(ctx context.Context) (capture.Still, error) {
	c.mu.Lock()
	block, fail, cr := c.block, c.fail, c.cradle
	c.mu.Unlock()
	if cr != nil {
		c.mu.Lock()
		c.lightOn = append(c.lightOn, cr.Light())
		c.mu.Unlock()
	}
	c.calls <- struct{}{}
	if fail != nil {
		return capture.Still{}, fail
	}
	if !block {
		return c.still(), nil
	}
	c.mu.Lock()
	ignore := c.ignoreCtx
	c.mu.Unlock()
	if ignore {
		return <-c.release, nil
	}
	select {
	case st := <-c.release:
		return st, nil
	case <-ctx.Done():
		c.ctxErr <- context.Cause(ctx)
		return capture.Still{}, ctx.Err()
	}
}

// drainCalls forgets the Still calls so far; each call sends before it
// returns, so after a photo is pending its call is already counted.
func (c *fakeCamera) drainCalls() {
	for {
		select {
		case <-c.calls:
		default:
			return
		}
	}
}

// lastLight reports whether the cradle light was on during the last Still.
func (c *fakeCamera) lastLight() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.lightOn) > 0 && c.lightOn[len(c.lightOn)-1]
}

func (c *fakeCamera) set(block bool, fail error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.block, c.fail = block, fail
}

// fakeCradle records every light switch.
type fakeCradle struct {
	mu      sync.Mutex
	present bool
	light   bool
	history []bool
	status  cradle.Status
	events  chan cradle.Event
	lights  chan bool // see watchLight
}

func newFakeCradle() *fakeCradle { return &fakeCradle{events: make(chan cradle.Event, 8)} }

func (c *fakeCradle) Present() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.present
}

func (c *fakeCradle) Events() <-chan cradle.Event { return c.events }

func (c *fakeCradle) SetLight(on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.light = on
	c.history = append(c.history, on)
	select {
	case c.lights <- on:
	default:
	}
	return nil
}

// watchLight returns a channel that receives every SetLight from now on
// (the first 16 unread ones; later ones are dropped, never blocking).
func (c *fakeCradle) watchLight() <-chan bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lights = make(chan bool, 16)
	return c.lights
}

func (c *fakeCradle) Light() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.light
}

func (c *fakeCradle) SetStatus(st cradle.Status) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status = st
	return nil
}

func (c *fakeCradle) Status() cradle.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

func (c *fakeCradle) LightHistory() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.history)
}

func (c *fakeCradle) set(present bool) {
	c.mu.Lock()
	c.present = present
	c.mu.Unlock()
	c.events <- cradle.Event{Present: present}
}

// fakeSaver keeps what it was given. With gate set, Save waits for a value
// on gate and returns it.
type fakeSaver struct {
	mu     sync.Mutex
	saved  []*api.Profile
	copies []api.Profile // deep copies taken inside Save, before any wipe
	gate   chan error
	calls  chan struct{}
}

func newFakeSaver() *fakeSaver { return &fakeSaver{calls: make(chan struct{}, 4)} }

func (f *fakeSaver) Save(ctx context.Context, p *api.Profile) error {
	cp := *p
	cp.Photos = nil
	for _, ph := range p.Photos {
		ph.JPEG = slices.Clone(ph.JPEG)
		cp.Photos = append(cp.Photos, ph)
	}
	f.calls <- struct{}{}
	if f.gate != nil {
		if err := <-f.gate; err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.saved = append(f.saved, p)
	f.copies = append(f.copies, cp)
	return nil
}

func (f *fakeSaver) Copies() []api.Profile {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.copies)
}

// fakeAccounts answers from a table; unknown emails have no account.
type fakeAccounts struct {
	mu      sync.Mutex
	known   map[string]api.LookupResponse
	offline bool
	block   chan struct{}
	calls   []string
}

func (a *fakeAccounts) Lookup(ctx context.Context, email string) (api.LookupResponse, error) {
	a.mu.Lock()
	a.calls = append(a.calls, email)
	offline, block := a.offline, a.block
	resp, ok := a.known[email]
	a.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return api.LookupResponse{}, ctx.Err()
		}
	}
	if offline {
		return api.LookupResponse{}, errors.New("dial tcp: connection refused")
	}
	if !ok {
		return api.LookupResponse{Exists: false}, nil
	}
	return resp, nil
}

// rig is a session with every dependency faked.
type rig struct {
	t        *testing.T
	s        *Session
	clock    *fakeClock
	camera   *fakeCamera
	cradle   *fakeCradle
	saver    *fakeSaver
	accounts *fakeAccounts
	audit    *staffRecorder
	cancel   context.CancelFunc
	done     chan struct{}
	ids      int
}

type rigOption func(*Config, *Deps, *rig)

func withoutCradle() rigOption {
	return func(_ *Config, d *Deps, r *rig) { d.Cradle = nil; r.cradle = nil }
}

func withoutAccounts() rigOption {
	return func(_ *Config, d *Deps, r *rig) { d.Accounts = nil }
}

func withConfig(f func(*Config)) rigOption {
	return func(c *Config, _ *Deps, _ *rig) { f(c) }
}

func newRig(t *testing.T, opts ...rigOption) *rig {
	t.Helper()
	r := &rig{
		t:      t,
		clock:  newFakeClock(),
		camera: newFakeCamera(),
		cradle: newFakeCradle(),
		saver:  newFakeSaver(),
		accounts: &fakeAccounts{known: map[string]api.LookupResponse{
			"ana@example.org": {Exists: true},
		}},
		audit: &staffRecorder{},
		done:  make(chan struct{}),
	}
	r.camera.cradle = r.cradle
	cfg := Config{DeviceID: "kiosk-test", Languages: []string{"en", "es", "fr"}, DefaultLanguage: "en"}
	deps := Deps{
		Camera:   r.camera,
		Cradle:   r.cradle,
		Saver:    r.saver,
		Accounts: r.accounts,
		Clock:    r.clock,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		// No PIN by default: staff mode is off unless a test turns it on
		// (withStaff, withQuality).
		StaffAudit: r.audit,
		NewID: func() string {
			r.ids++
			return fmt.Sprintf("6ba7b810-9dad-11d1-80b4-%012d", r.ids)
		},
	}
	for _, o := range opts {
		o(&cfg, &deps, r)
	}
	r.s = New(cfg, deps)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		r.s.Run(ctx)
	}()
	t.Cleanup(r.stop)
	if r.cradle != nil {
		// Run publishes once when it has read the cradle; start from there.
		r.wait("Run to start", func(st State) bool { return st.Rev >= 2 })
	}
	return r
}

func (r *rig) stop() {
	r.cancel()
	<-r.done
}

// do applies an action that must succeed.
func (r *rig) do(a Action) State {
	r.t.Helper()
	st, err := r.s.Do(context.Background(), a)
	if err != nil {
		r.t.Fatalf("Do(%+v) in step %s: %v", a, st.Step, err)
	}
	return st
}

// wait returns the first state that satisfies cond, failing after a
// generous deadline (the condition is waited for, not timed).
func (r *rig) wait(what string, cond func(State) bool) State {
	r.t.Helper()
	return r.waitFor(what, 10*time.Second, cond)
}

func (r *rig) waitFor(what string, limit time.Duration, cond func(State) bool) State {
	r.t.Helper()
	ch, cancel := r.s.Subscribe()
	defer cancel()
	deadline := time.After(limit)
	var last State
	for {
		select {
		case st := <-ch:
			last = st
			if cond(st) {
				return st
			}
		case <-deadline:
			r.t.Fatalf("waiting for %s: last state step=%s capturing=%v pending=%v message=%v quality=%+v", what, last.Step, last.Capturing, last.Pending, last.Message, last.Quality)
		}
	}
}

func (r *rig) waitStep(step Step) State {
	r.t.Helper()
	return r.wait("step "+string(step), func(st State) bool { return st.Step == step })
}

func (r *rig) waitPending() State {
	r.t.Helper()
	return r.wait("a pending photo", func(st State) bool { return st.Pending != nil && !st.Capturing })
}

// takePhoto captures with the capture button and accepts.
func (r *rig) takePhoto() State {
	r.t.Helper()
	r.do(Action{Type: ActCapture})
	r.waitPending()
	r.camera.drainCalls()
	return r.do(Action{Type: ActAcceptPhoto})
}

// placeCard drops a card in the cradle, lets it settle, and waits for the photo.
func (r *rig) placeCard() State {
	r.t.Helper()
	r.cradle.set(true)
	r.wait("capture started", func(st State) bool { return st.Capturing && st.Cradle.Present })
	r.clock.Advance(DefaultCradleSettle)
	st := r.waitPending()
	r.camera.drainCalls()
	return st
}

func (r *rig) removeCard() State {
	r.t.Helper()
	r.cradle.set(false)
	return r.wait("card removed", func(st State) bool { return !st.Cradle.Present })
}

// toFace walks from welcome to the face step.
func (r *rig) toFace(twoSided bool) State {
	r.t.Helper()
	r.do(Action{Type: ActStart})
	r.do(Action{Type: ActConsentAccept})
	r.do(Action{Type: ActEmailSubmit, Email: "ana@example.org"})
	r.waitStep(StepName)
	r.do(Action{Type: ActNameSubmit, Name: "Ana María Pérez"})
	return r.do(Action{Type: ActIDTypeSubmit, IDType: api.IDNationalCard, TwoSided: twoSided})
}

// toReview walks a one-sided flow to review.
func (r *rig) toReview() State {
	r.t.Helper()
	r.toFace(false)
	r.takePhoto()
	r.takePhoto()
	return r.waitStep(StepReview)
}
