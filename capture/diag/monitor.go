package diag

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/idkiosk/idkiosk/capture"
)

// Defaults for Options.
const (
	// DefaultBlackLuma: below this a sample counts as black. A lens cap
	// or a covered camera gives 16-18 (limited-range black plus sensor
	// noise; vivid's 100% black is exactly 16). The picture is black when
	// 85% of its samples are (see blackShare).
	DefaultBlackLuma = 20
	// DefaultBlackAfter: auto-exposure settles within a second of opening;
	// a black picture that lasts longer is real.
	DefaultBlackAfter = 2 * time.Second
	// DefaultFrozenAfter: long enough that a still scene through a very
	// clean sensor is not mistaken, short enough to tell staff before a
	// learner gives up.
	DefaultFrozenAfter = 5 * time.Second
	// DefaultSampleEvery: how often a frame is inspected for black and
	// frozen; two a second costs ~0.1% of a core.
	DefaultSampleEvery = 500 * time.Millisecond
	// DefaultPoll: how often the Runner's state is read; the lag of every
	// state change staff see.
	DefaultPoll = 250 * time.Millisecond
	// DefaultDeviceEvery: how often the device checks rerun while the
	// camera is not streaming, to notice a plugged-in camera, a fixed
	// permission, or a program that let go.
	DefaultDeviceEvery = 2 * time.Second
)

// Runner is what the monitor reads of a capture.Runner.
type Runner interface {
	State() capture.State
	LastError() string
}

// Options configure a Monitor. Runner and Hub are required.
type Options struct {
	Runner Runner
	Hub    *capture.Hub
	// Device is the configured node or by-id link; empty for a simulated
	// camera, which skips the device checks.
	Device string
	// Format, if set, describes the negotiated format for reports.
	Format func() string
	// OnChange is called from Run with each new state.
	OnChange func(capture.State)
	Log      *slog.Logger

	BlackLuma               float64
	BlackAfter, FrozenAfter time.Duration
	SampleEvery, Poll       time.Duration
	DeviceEvery             time.Duration
}

// Monitor runs the camera checks and keeps the camera's state.
type Monitor struct {
	o   Options
	sys system
	now func() time.Time
	log *slog.Logger

	mu        sync.Mutex
	state     capture.State
	runner    capture.State
	device    []Result
	cameras   []Camera
	deviceAt  time.Time
	watch     frameWatch
	lastSeq   uint64
	sampledAt time.Time
}

// New returns a monitor; call Run to start the continuous checks.
func New(o Options) *Monitor {
	if o.BlackLuma <= 0 {
		o.BlackLuma = DefaultBlackLuma
	}
	if o.BlackAfter <= 0 {
		o.BlackAfter = DefaultBlackAfter
	}
	if o.FrozenAfter <= 0 {
		o.FrozenAfter = DefaultFrozenAfter
	}
	if o.SampleEvery <= 0 {
		o.SampleEvery = DefaultSampleEvery
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.DeviceEvery <= 0 {
		o.DeviceEvery = DefaultDeviceEvery
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Monitor{o: o, sys: realSystem(), now: time.Now, log: o.Log, state: capture.StateStarting, runner: capture.StateStarting,
		watch: frameWatch{blackLuma: o.BlackLuma}}
}

// State is the camera's state as staff and the learner should see it.
func (m *Monitor) State() capture.State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// Run checks until ctx ends: the device checks at start, on every change of
// the Runner's state and every DeviceEvery while it is not streaming; the
// frame checks every SampleEvery while it is.
func (m *Monitor) Run(ctx context.Context) error {
	m.step(true)
	t := time.NewTicker(m.o.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			m.step(false)
		}
	}
}

// step is one tick of Run.
func (m *Monitor) step(first bool) {
	rs := m.o.Runner.State()
	now := m.now()
	changed := m.observe(rs) || first
	m.mu.Lock()
	stale := rs != capture.StateStreaming && now.Sub(m.deviceAt) >= m.o.DeviceEvery
	m.mu.Unlock()

	if changed || stale {
		m.runDeviceChecks(rs, now)
	}
	if rs == capture.StateStreaming {
		m.sample(now)
	}
	m.updateState(now)
}

// observe records the Runner's state and reports whether it changed; a
// change restarts the black and frozen watch.
func (m *Monitor) observe(rs capture.State) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rs == m.runner {
		return false
	}
	m.runner = rs
	m.watch.reset()
	return true
}

// Check runs the device checks now (on demand) and returns the report. It
// reads the Runner's state itself, so an answer never lags behind the
// Runner by a polling interval.
func (m *Monitor) Check() Report {
	rs := m.o.Runner.State()
	now := m.now()
	m.observe(rs)
	m.runDeviceChecks(rs, now)
	m.updateState(now)
	return m.Report()
}

func (m *Monitor) runDeviceChecks(rs capture.State, now time.Time) {
	if m.o.Device == "" {
		return
	}
	res := m.sys.deviceChecks(m.o.Device, rs)
	cams := m.sys.cameras()
	m.mu.Lock()
	m.device, m.cameras, m.deviceAt = res, cams, now
	m.mu.Unlock()
}

// sample feeds the newest frame to the black and frozen watch, at most
// every SampleEvery and only if it is a frame not seen before: no new frame
// is a stall (the Runner's business), not a frozen picture.
func (m *Monitor) sample(now time.Time) {
	m.mu.Lock()
	due := now.Sub(m.sampledAt) >= m.o.SampleEvery
	last := m.lastSeq
	m.mu.Unlock()
	if !due {
		return
	}
	f := m.o.Hub.Latest()
	if f == nil || f.Seq == last {
		return
	}
	img, err := f.Image() // memoized: shared with every other consumer
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastSeq, m.sampledAt = f.Seq, now
	m.watch.add(img, now)
}

func (m *Monitor) updateState(now time.Time) {
	m.mu.Lock()
	s := m.runner
	switch s {
	case capture.StateStreaming:
		switch {
		case m.watch.blackFor(now) >= m.o.BlackAfter:
			s = capture.StateBlack
		case m.watch.frozenFor(now) >= m.o.FrozenAfter:
			s = capture.StateFrozen
		}
	case capture.StateDisconnected:
		if r, ok := find(m.device, CheckWrong); ok && r.Status == Fail {
			s = capture.StateWrongCamera
		}
	}
	old := m.state
	m.state = s
	m.mu.Unlock()
	if s != old {
		m.log.Info("camera state", "state", s.String(), "was", old.String())
		if m.o.OnChange != nil {
			m.o.OnChange(s)
		}
	}
}

// Report returns the latest results: the device checks as of their last
// run, the stream and frame checks as of now.
func (m *Monitor) Report() Report {
	now := m.now()
	st := m.o.Hub.Stats()
	m.mu.Lock()
	defer m.mu.Unlock()
	r := Report{State: m.state, Time: now, Device: m.o.Device, LastError: m.o.Runner.LastError(), Cameras: m.cameras}
	r.Stream = Stream{Frames: st.Published, FPS: round(st.FPS, 1)}
	if !st.LastPublish.IsZero() {
		t := st.LastPublish
		r.Stream.LastFrame = &t
	}
	if m.o.Format != nil {
		r.Stream.Format = m.o.Format()
	}
	r.Checks = append(r.Checks, m.device...)
	r.Checks = append(r.Checks, m.streamChecks(now, r.Stream, r.LastError)...)
	return r
}

// streamChecks are the streaming, black and frozen results. Callers hold mu.
func (m *Monitor) streamChecks(now time.Time, s Stream, lastErr string) []Result {
	var out []Result
	switch m.runner {
	case capture.StateStreaming:
		out = append(out, result(CheckStreaming, OK, "ok", map[string]string{"format": s.Format, "fps": strconv.FormatFloat(s.FPS, 'f', 1, 64)}))
	case capture.StateStarting:
		out = append(out, result(CheckStreaming, Warn, "starting", nil))
	default:
		out = append(out, result(CheckStreaming, Fail, "fail", map[string]string{"state": m.runner.String(), "error": lastErr}))
	}
	if m.runner != capture.StateStreaming || m.watch.samples == 0 {
		return append(out,
			result(CheckBlack, Skip, "skip", nil),
			result(CheckFrozen, Skip, "skip", nil))
	}
	luma := map[string]string{
		"luma": strconv.Itoa(int(m.watch.mean + 0.5)),
		"dark": strconv.Itoa(int(100*m.watch.dark + 0.5)),
	}
	if d := m.watch.blackFor(now); d >= m.o.BlackAfter {
		luma["seconds"] = seconds(d)
		out = append(out, result(CheckBlack, Fail, "fail", luma))
	} else {
		out = append(out, result(CheckBlack, OK, "ok", luma))
	}
	if d := m.watch.frozenFor(now); d >= m.o.FrozenAfter {
		out = append(out, result(CheckFrozen, Fail, "fail", map[string]string{"seconds": seconds(d)}))
	} else {
		out = append(out, result(CheckFrozen, OK, "ok", nil))
	}
	return out
}

func find(rs []Result, id string) (Result, bool) {
	for _, r := range rs {
		if r.ID == id {
			return r, true
		}
	}
	return Result{}, false
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.0f", d.Seconds()) }

func round(v float64, places int) float64 {
	p := 1.0
	for range places {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}
