package gpio_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	pgpio "periph.io/x/conn/v3/gpio"

	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/device/cradle/cradletest"
	cgpio "github.com/idkiosk/idkiosk/device/cradle/gpio"
)

func TestCradle_Suite(t *testing.T) {
	for _, activeLow := range []bool{false, true} {
		name := "ActiveHigh"
		if activeLow {
			name = "ActiveLow"
		}
		t.Run(name, func(t *testing.T) {
			cradletest.Run(t, func(t *testing.T) (cradle.Cradle, cradletest.Hand) {
				b := newBoard()
				b.activeLow = activeLow
				c, err := b.open()
				if err != nil {
					t.Fatal(err)
				}
				return c, b
			})
		})
	}
}

// open returns a cradle on a fresh board, closed when the test ends.
func open(t *testing.T) (*cgpio.Cradle, *board) {
	t.Helper()
	b := newBoard()
	c, err := b.open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, b
}

// next returns the cradle's next event. Every event a test waits for is
// due once quiet returned, so the bound only turns a cradle that waits
// longer than its debounce time into a failure instead of a hang.
func next(t *testing.T, c *cgpio.Cradle) cradle.Event {
	t.Helper()
	select {
	case ev := <-c.Events():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event once the line had been quiet for the debounce time")
		return cradle.Event{}
	}
}

// events closes the cradle and returns every event it sent.
func events(t *testing.T, c *cgpio.Cradle) []bool {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	var got []bool
	for ev := range c.Events() {
		got = append(got, ev.Present)
	}
	return got
}

func TestDebounce_BounceStorms(t *testing.T) {
	tests := []struct {
		name  string
		moves func(b *board)
		want  []bool // Present of each event, in order
	}{
		{"clean place and remove", func(b *board) { b.Place(); b.Remove() }, []bool{true, false}},
		{"storm of 101 edges is one placement", func(b *board) { b.PlaceBouncing(100) }, []bool{true}},
		{"storms both ways", func(b *board) { b.PlaceBouncing(37); b.RemoveBouncing(12) }, []bool{true, false}},
		{"storm ending where it began is nothing", func(b *board) {
			for i := range 30 {
				b.present.edge(b.lvl(i%2 == 0))
			}
			b.present.quiet()
		}, nil},
		{"a glitch of one edge and back is nothing", func(b *board) {
			b.present.edge(b.lvl(true))
			b.present.edge(b.lvl(false))
			b.present.quiet()
		}, nil},
		{"quiet periods separate real moves", func(b *board) {
			b.PlaceBouncing(5)
			b.RemoveBouncing(5)
			b.PlaceBouncing(5)
		}, []bool{true, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, b := open(t)
			tt.moves(b)
			if got := events(t, c); !slices.Equal(got, tt.want) {
				t.Errorf("events %v, want %v", got, tt.want)
			}
		})
	}
}

// The level is read only once the line has been quiet: edges without a
// quiet period in between never commit, however many there are.
func TestDebounce_NothingBeforeQuiet(t *testing.T) {
	c, b := open(t)
	for i := range 500 {
		b.present.edge(b.lvl(i%2 == 0))
	}
	if c.Present() {
		t.Error("Present() = true while the line is still bouncing")
	}
	select {
	case ev := <-c.Events():
		t.Errorf("event Present=%v before the line went quiet", ev.Present)
	default:
	}
	b.present.edge(b.lvl(true))
	b.present.quiet()
	if ev := next(t, c); !ev.Present || !c.Present() {
		t.Errorf("after settling: event Present=%v, Present()=%v; want true, true", ev.Present, c.Present())
	}
}

// The debounce time runs from the last edge: a bounce just before it ends
// starts it again, and the level commits exactly when it has run out.
func TestDebounce_QuietCountsFromTheLastEdge(t *testing.T) {
	const d = cgpio.DefaultDebounce
	b := newBoard()
	clk := b.present.clock
	c, err := b.start(b.pins(), cgpio.Options{Debounce: d, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := clk.Now()
	b.present.edge(pgpio.High)
	b.present.advance(d - time.Millisecond)
	b.present.edge(pgpio.Low) // a bounce 1 ms before the line would have counted
	b.present.edge(pgpio.High)
	b.present.advance(d - time.Millisecond)
	select {
	case ev := <-c.Events():
		t.Fatalf("event Present=%v %v after the last edge, before the debounce time of %v", ev.Present, d-time.Millisecond, d)
	default:
	}
	clk.Advance(time.Millisecond)
	ev := next(t, c)
	if got, want := ev.At.Sub(start), 2*d-time.Millisecond; !ev.Present || got != want {
		t.Errorf("event Present=%v at %v, want true at %v (the last edge at %v + the debounce time)", ev.Present, got, want, d-time.Millisecond)
	}
}

func TestDebounce_EventTime(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	b := newBoard()
	c, err := b.start(b.pins(), cgpio.Options{Debounce: testDebounce, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b.Place()
	if ev := next(t, c); !ev.At.Equal(at) {
		t.Errorf("event At = %v, want %v", ev.At, at)
	}
}

func TestCradle_CardAlreadyInPlaceAtOpen(t *testing.T) {
	b := newBoard()
	p := b.pins()
	// The wiring's own resistor: gpiotest.Pin's In leaves the level to it,
	// and the card holds the line high.
	p.Present.Pull = pgpio.PullNoChange
	b.present.L = pgpio.High
	c, err := b.start(p, cgpio.Options{Debounce: testDebounce})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Present() {
		t.Error("Present() = false with a card in the cradle at open")
	}
	b.Remove()
	if got := events(t, c); !slices.Equal(got, []bool{false}) {
		t.Errorf("events %v, want [false]: no event for the card found at open", got)
	}
}

// A consumer that stopped reading still finds the newest state at the end
// of the queue, as with the simulated cradle.
func TestCradle_FullQueueKeepsNewestEdge(t *testing.T) {
	c, b := open(t)
	for range 20 {
		b.Place()
		b.Remove()
	}
	b.Place()
	got := events(t, c)
	if len(got) == 0 || !got[len(got)-1] || len(got) > 8 {
		t.Errorf("events %v: want at most 8, the last a placement", got)
	}
}

func TestShutdown_EdgePendingAtClose(t *testing.T) {
	c, b := open(t)
	b.present.edge(pgpio.High) // placed, still bouncing: no quiet yet
	if err := c.SetLight(true); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if b.present.quiet() {
		t.Error("the watcher still listened after Close")
	}
	if b.present.edge(pgpio.Low) {
		t.Error("an edge after Close was taken")
	}
	if got := events(t, c); len(got) != 0 {
		t.Errorf("events %v after an edge cut short by Close, want none", got)
	}
	if b.Light() || c.Light() {
		t.Errorf("light lit=%v Light()=%v after Close, want off", b.Light(), c.Light())
	}
	for _, p := range []*line{b.present, b.light, b.ready, b.busy, b.attention} {
		if !p.isReleased() {
			t.Errorf("%s not released by Close", p.N)
		}
	}
}

// Close must not wait for a consumer: the queue fills, edges keep coming,
// and Close still returns with the light off.
func TestShutdown_EdgeStormWithNobodyReading(t *testing.T) {
	c, b := open(t)
	if err := c.SetLight(true); err != nil {
		t.Fatal(err)
	}
	for range 30 { // enough settled moves to overflow the queue
		b.Place()
		b.Remove()
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the card keeps moving while Close runs
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if !b.present.edge(pgpio.Level(i%2 == 0)) || !b.present.quiet() {
				return
			}
		}
	}()
	err := c.Close()
	close(stop)
	<-done
	if err != nil {
		t.Errorf("Close: %v", err)
	}
	if b.Light() {
		t.Error("the lamp is lit after Close")
	}
}

var errIO = errors.New("input/output error")

func level(l pgpio.Level) *pgpio.Level { return &l }

// The illumination is off after every way things can go wrong.
func TestLight_OffOnEveryPath(t *testing.T) {
	tests := []struct {
		name    string
		run     func(t *testing.T, b *board) (*cgpio.Cradle, error)
		wantErr bool
	}{
		{"left on by a crashed kioskd: off at New", func(t *testing.T, b *board) (*cgpio.Cradle, error) {
			b.light.L = pgpio.High
			return b.open()
		}, false},
		{"switching on fails", func(t *testing.T, b *board) (*cgpio.Cradle, error) {
			c, err := b.open()
			if err != nil {
				return nil, err
			}
			b.light.fail(fault{err: errIO, only: level(pgpio.High)})
			if err := c.SetLight(true); err == nil {
				t.Error("SetLight(true) on a failing line returned nil")
			}
			var le *cgpio.LineError
			if err := c.Health(); !errors.As(err, &le) || le.Role != cgpio.RoleLight {
				t.Errorf("Health() = %v after a failed SetLight(true), want the light's LineError", err)
			}
			return c, nil
		}, false},
		{"switching on reports a failure but the level changed", func(t *testing.T, b *board) (*cgpio.Cradle, error) {
			c, err := b.open()
			if err != nil {
				return nil, err
			}
			b.light.fail(fault{err: errIO, only: level(pgpio.High), applied: true})
			if err := c.SetLight(true); err == nil {
				t.Error("SetLight(true) on a failing line returned nil")
			}
			return c, nil
		}, false},
		{"Close with the light on", func(t *testing.T, b *board) (*cgpio.Cradle, error) {
			c, err := b.open()
			if err != nil {
				return nil, err
			}
			if err := c.SetLight(true); err != nil {
				t.Fatal(err)
			}
			return c, c.Close()
		}, false},
		{"Close while a status light fails", func(t *testing.T, b *board) (*cgpio.Cradle, error) {
			c, err := b.open()
			if err != nil {
				return nil, err
			}
			if err := c.SetLight(true); err != nil {
				t.Fatal(err)
			}
			b.ready.fail(fault{err: errIO})
			b.busy.fail(fault{err: errIO})
			return c, c.Close()
		}, true},
		{"New fails on a status line after claiming the light", func(t *testing.T, b *board) (*cgpio.Cradle, error) {
			b.light.L = pgpio.High
			b.attention.fail(fault{err: errors.New("line_request ioctl: device or resource busy")})
			return b.open()
		}, true},
		{"New fails on the presence input", func(t *testing.T, b *board) (*cgpio.Cradle, error) {
			b.light.L = pgpio.High
			b.present.fail(fault{err: errors.New("line_request ioctl: permission denied")})
			return b.open()
		}, true},
		{"Close after the session left it on", func(t *testing.T, b *board) (*cgpio.Cradle, error) {
			c, err := b.open()
			if err != nil {
				return nil, err
			}
			b.Place()
			next(t, c)
			if err := c.SetLight(true); err != nil {
				t.Fatal(err)
			}
			b.Remove() // mid-capture; the driver does not wait for the session
			next(t, c)
			return c, c.Close()
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBoard()
			c, err := tt.run(t, b)
			if (err != nil) != tt.wantErr {
				t.Errorf("error %v, want error: %v", err, tt.wantErr)
			}
			if b.Light() {
				t.Error("the lamp is lit")
			}
			if c != nil {
				if c.Light() {
					t.Error("Light() = true, want false")
				}
				c.Close()
			} else if !b.light.isReleased() {
				t.Error("a failed New kept the light's line")
			}
		})
	}
}

// When the light cannot be switched off, the cradle says so rather than
// pretend: Light() stays true and Health reports the line.
func TestLight_FailedOffIsReported(t *testing.T) {
	c, b := open(t)
	if err := c.SetLight(true); err != nil {
		t.Fatal(err)
	}
	b.light.fail(fault{err: errIO, only: level(pgpio.Low)})
	if err := c.SetLight(false); err == nil {
		t.Error("SetLight(false) on a failing line returned nil")
	}
	if !c.Light() {
		t.Error("Light() = false although switching off failed")
	}
	var le *cgpio.LineError
	if err := c.Health(); !errors.As(err, &le) || le.Role != cgpio.RoleLight {
		t.Errorf("Health() = %v, want a LineError for the light", err)
	}
	if err := c.Close(); err == nil {
		t.Error("Close returned nil although the light could not be switched off")
	}
	if !b.light.isReleased() {
		t.Error("Close did not release the light's line")
	}
}

func TestHealth_RecoversWhenTheLineWorksAgain(t *testing.T) {
	c, b := open(t)
	b.light.fail(fault{err: errIO})
	c.SetLight(true)
	if c.Health() == nil {
		t.Fatal("Health() = nil after a failed SetLight")
	}
	b.light.fail(fault{})
	if err := c.SetLight(true); err != nil {
		t.Fatal(err)
	}
	if err := c.Health(); err != nil {
		t.Errorf("Health() = %v after the line worked again", err)
	}
}

func TestStatus_OneLightAtATime(t *testing.T) {
	c, b := open(t)
	if got := b.Status(); got != -1 {
		t.Errorf("a new cradle shows status %s, want none", got)
	}
	for _, s := range []cradle.Status{cradle.StatusReady, cradle.StatusBusy, cradle.StatusAttention, cradle.StatusReady} {
		if err := c.SetStatus(s); err != nil {
			t.Fatalf("SetStatus(%s): %v", s, err)
		}
		if got := b.Status(); got != s {
			t.Errorf("after SetStatus(%s) the lit status light is %s", s, got)
		}
		if got := c.Status(); got != s {
			t.Errorf("Status() = %s after SetStatus(%s)", got, s)
		}
	}
	c.Close()
	if got := b.Status(); got != -1 {
		t.Errorf("status %s lit after Close, want none", got)
	}
	if err := c.SetStatus(cradle.StatusBusy); !errors.Is(err, cradle.ErrClosed) {
		t.Errorf("SetStatus after Close: %v, want cradle.ErrClosed", err)
	}
}

func TestStatus_NotFittedLightsAreSkipped(t *testing.T) {
	b := newBoard()
	p := b.pins()
	p.Ready, p.Busy = cgpio.Output{}, cgpio.Output{} // only an attention LED
	c, err := b.start(p, cgpio.Options{Debounce: testDebounce})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tt := range []struct {
		s    cradle.Status
		want bool
	}{{cradle.StatusAttention, true}, {cradle.StatusBusy, false}, {cradle.StatusAttention, true}, {cradle.StatusReady, false}} {
		if err := c.SetStatus(tt.s); err != nil {
			t.Errorf("SetStatus(%s): %v", tt.s, err)
		}
		if got := b.lit(b.attention); got != tt.want {
			t.Errorf("after SetStatus(%s) attention lit=%v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestStatus_FailureIsReported(t *testing.T) {
	c, b := open(t)
	b.busy.fail(fault{err: errIO, only: level(pgpio.High)})
	if err := c.SetStatus(cradle.StatusBusy); err == nil {
		t.Error("SetStatus(busy) on a failing line returned nil")
	}
	var le *cgpio.LineError
	if err := c.Health(); !errors.As(err, &le) || le.Role != cgpio.RoleBusy || le.Line != "CRADLE_BUSY" {
		t.Errorf("Health() = %v, want a LineError for CRADLE_BUSY", err)
	}
}

func TestNew_Problems(t *testing.T) {
	tests := []struct {
		name    string
		pin     func(b *board) *line
		err     error
		problem cgpio.Problem
		role    cgpio.Role
	}{
		{"busy input", func(b *board) *line { return b.present },
			errors.New("line_request ioctl: device or resource busy"), cgpio.ProblemLineBusy, cgpio.RolePresent},
		{"light not permitted", func(b *board) *line { return b.light },
			errors.New("line_request ioctl: permission denied"), cgpio.ProblemNoPermission, cgpio.RoleLight},
		{"status refused otherwise", func(b *board) *line { return b.ready },
			errIO, cgpio.ProblemLineFailed, cgpio.RoleReady},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBoard()
			tt.pin(b).fail(fault{err: tt.err})
			c, err := b.open()
			if c != nil {
				c.Close()
			}
			var le *cgpio.LineError
			if !errors.As(err, &le) {
				t.Fatalf("New: %v, want a *LineError", err)
			}
			if le.Problem != tt.problem || le.Role != tt.role || le.Line != tt.pin(b).N {
				t.Errorf("got %s/%s/%q, want %s/%s/%q", le.Problem, le.Role, le.Line, tt.problem, tt.role, tt.pin(b).N)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("%v does not wrap %v", err, tt.err)
			}
		})
	}
}

// A cradle New wrongly made here is not closed: Close would wait for a
// first idle poll that fake time never ends (see board.start).
func TestNew_RequiresInputAndLight(t *testing.T) {
	b := newBoard()
	p := b.pins()
	p.Light = cgpio.Output{}
	if _, err := cgpio.New(p, cgpio.Options{}); err == nil {
		t.Error("New without a light succeeded")
	}
	p = b.pins()
	p.Present = cgpio.Input{}
	if _, err := cgpio.New(p, cgpio.Options{}); err == nil {
		t.Error("New without a presence input succeeded")
	}
}

func TestNew_InputConfigured(t *testing.T) {
	c, b := open(t)
	defer c.Close()
	b.present.Lock()
	pull, edge := b.present.P, b.present.detect
	b.present.Unlock()
	if pull != pgpio.PullDown || edge != pgpio.BothEdges {
		t.Errorf("input set up with pull %s edge %s, want %s %s", pull, edge, pgpio.PullDown, pgpio.BothEdges)
	}
}

// A presence input whose waits fail at once (an unplugged GPIO adapter)
// shows up in Health instead of spinning a core unnoticed.
func TestHealth_InputThatFailsAtOnce(t *testing.T) {
	c, b := open(t)
	deadline := time.Now().Add(5 * time.Second)
	var le *cgpio.LineError
	for !errors.As(c.Health(), &le) {
		if time.Now().After(deadline) {
			t.Fatal("Health() stayed nil with an input whose waits fail")
		}
		b.present.quiet() // an idle wait that ends at once, as a failing read does
	}
	if le.Role != cgpio.RolePresent {
		t.Errorf("Health() names %s, want the presence input", le.Role)
	}
	b.Place() // an edge: the input works again
	next(t, c)
	if err := c.Health(); err != nil {
		t.Errorf("Health() = %v after the input delivered an edge", err)
	}
}

func TestLineError_Messages(t *testing.T) {
	tests := []struct {
		e    cgpio.LineError
		want string
	}{
		{cgpio.LineError{Problem: cgpio.ProblemLineMissing, Role: cgpio.RolePresent, Line: "CRADLE_PRESNT", Chip: "gpiochip0",
			Err: errors.New("named lines here: CRADLE_PRESENT, CRADLE_LIGHT")},
			`cradle: present line "CRADLE_PRESNT" not found on GPIO chip gpiochip0: named lines here: CRADLE_PRESENT, CRADLE_LIGHT`},
		{cgpio.LineError{Problem: cgpio.ProblemLineBusy, Role: cgpio.RoleLight, Line: "CRADLE_LIGHT", Consumer: "gpioset@412"},
			`cradle: light line "CRADLE_LIGHT" is in use by gpioset@412`},
		{cgpio.LineError{Problem: cgpio.ProblemNoPermission, Role: cgpio.RolePresent, Line: "CRADLE_PRESENT", Device: "/dev/gpiochip0"},
			`cradle: no permission to open /dev/gpiochip0 for the present line "CRADLE_PRESENT"`},
		{cgpio.LineError{Problem: cgpio.ProblemChipMissing, Role: cgpio.RolePresent, Chip: "gpio-sim.9-node0"},
			`cradle: GPIO chip "gpio-sim.9-node0" not found`},
		{cgpio.LineError{Problem: cgpio.ProblemNoGPIO},
			`cradle: no GPIO chip found (is the cradle connected and its driver loaded?)`},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}
