package gpio_test

import (
	"context"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	pgpio "periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/idkiosk/idkiosk/device/cradle"
	cgpio "github.com/idkiosk/idkiosk/device/cradle/gpio"
)

// line is periph's gpiotest.Pin (N, L, P, EdgesChan: an edge carries the
// level it leads to; WaitForEdge times out on its Clock) with what the
// real gpioioctl line has and gpiotest.Pin lacks:
//   - Halt ends a pending WaitForEdge (gpiotest's Halt does nothing);
//   - Close, with which the cradle gives its lines back;
//   - In and Out that fail on demand, as a busy or vanished line does;
//   - the edge detection In asked for, which gpiotest.Pin does not keep.
//
// The presence input runs on a lineClock, so time passes only when the
// test says so (quiet).
type line struct {
	gpiotest.Pin
	clock *lineClock // the presence input's; nil on outputs
	edges int        // edges taken since time last passed; see quiet

	// Under the Pin's mutex.
	detect   pgpio.Edge // the edges In asked for
	fault    fault
	released bool
}

// fault is how a line refuses: while err is set, In and Out fail.
type fault struct {
	err     error
	only    *pgpio.Level // if set, Out fails only when driving this level
	applied bool         // a failing Out still moves the line, as when only the reply is lost
}

var _ pgpio.PinIO = (*line)(nil)

func newInput(name string) *line {
	clk := newLineClock()
	return &line{
		// Unbuffered: an edge is sent once the cradle takes it.
		Pin:   gpiotest.Pin{N: name, EdgesChan: make(chan pgpio.Level), Clock: clk},
		clock: clk,
	}
}

func newOutput(name string) *line { return &line{Pin: gpiotest.Pin{N: name}} }

func (p *line) In(pull pgpio.Pull, edge pgpio.Edge) error {
	p.Lock()
	err := p.fault.err
	if err == nil {
		p.detect = edge
	}
	p.Unlock()
	if err != nil {
		return err
	}
	return p.Pin.In(pull, edge)
}

func (p *line) Out(l pgpio.Level) error {
	p.Lock()
	f := p.fault
	p.Unlock()
	if f.err != nil && (f.only == nil || *f.only == l) {
		if f.applied {
			p.Pin.Out(l)
		}
		return f.err
	}
	return p.Pin.Out(l)
}

func (p *line) Halt() error {
	if p.clock != nil {
		p.clock.halt()
	}
	return nil
}

// Close releases the line. It ends waits as Halt does: on gpioioctl a
// released line's read fails at once.
func (p *line) Close() {
	p.Lock()
	p.released = true
	p.Unlock()
	p.Halt()
}

func (p *line) fail(f fault) {
	p.Lock()
	defer p.Unlock()
	p.fault = f
}

func (p *line) isReleased() bool {
	p.Lock()
	defer p.Unlock()
	return p.released
}

// edge moves the input to l. It reports false if the cradle stopped
// listening (halted) before taking it.
func (p *line) edge(l pgpio.Level) bool {
	select {
	case p.EdgesChan <- l:
		p.edges++
		return true
	case <-p.clock.halted.Done():
		return false
	}
}

// quiet lets testDebounce pass with no edge and returns once the cradle
// waits again, so whatever the quiet line made it do (an event) is done.
// It reports false if the cradle stopped listening.
func (p *line) quiet() bool {
	if !p.advance(testDebounce) {
		return false
	}
	p.edges = 0 // every timer has run out
	return p.clock.waiting(1)
}

// advance moves time on by d once the cradle is waiting for an edge.
// gpiotest's WaitForEdge waits on Clock.After, and a wait that ends in an
// edge leaves its timer with the clock until time passes it: while the
// cradle waits, the clock has one timer more than edges were taken since
// every timer last ran out. That count holds while d runs out no timer;
// quiet runs them all out and counts afresh.
func (p *line) advance(d time.Duration) bool {
	if !p.clock.waiting(p.edges + 1) {
		return false
	}
	p.clock.Advance(d)
	return true
}

// lineClock is the presence input's time: clockwork's fake clock, plus
// what Halt needs. gpioioctl's Halt ends the pending wait with a read
// deadline in the past; the next wait sets its own deadline and runs for
// its timeout, at most an idle poll in real time. Fake time does not pass
// by itself, so a halted lineClock ends that wait and every later one at
// once instead.
type lineClock struct {
	clockwork.FakeClock
	block func(context.Context, int) error // see untilContext

	mu     sync.Mutex // orders After against halt, so no wait slips past it
	halted context.Context
	stop   context.CancelFunc
}

// untilContext is BlockUntilContext, which clockwork v0.4.0's fake clock
// has but its FakeClock interface does not list.
type untilContext interface {
	BlockUntilContext(ctx context.Context, waiters int) error
}

func newLineClock() *lineClock {
	fc := clockwork.NewFakeClock()
	c := &lineClock{
		FakeClock: fc,
		block:     fc.(untilContext).BlockUntilContext,
	}
	c.halted, c.stop = context.WithCancel(context.Background())
	return c
}

func (c *lineClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.halted.Err() != nil {
		d = 0 // the fake clock fires a timer of 0 at once
	}
	return c.FakeClock.After(d)
}

func (c *lineClock) halt() {
	c.mu.Lock()
	c.stop()
	c.mu.Unlock()
	c.Advance(testDebounce) // ends the wait in progress; After ends later ones
}

// waiting blocks until the clock has n timers; false once halted.
func (c *lineClock) waiting(n int) bool {
	return c.halted.Err() == nil && c.block(c.halted, n) == nil
}

// board is a cradle's worth of fake lines, and the hand and eyes of the
// shared suite (cradletest.Hand, Lamps and Bouncer).
type board struct {
	present, light, ready, busy, attention *line
	activeLow                              bool // every line, for the wiring tests
}

func newBoard() *board {
	return &board{
		present:   newInput("CRADLE_PRESENT"),
		light:     newOutput("CRADLE_LIGHT"),
		ready:     newOutput("CRADLE_READY"),
		busy:      newOutput("CRADLE_BUSY"),
		attention: newOutput("CRADLE_ATTENTION"),
	}
}

func (b *board) pins() cgpio.Pins {
	// The bias holds the switch at "no card" (gpiotest.Pin's In sets the
	// level a pull gives): a switch that pulls its line high needs a
	// pull-down.
	pull := pgpio.PullDown
	if b.activeLow {
		pull = pgpio.PullUp
	}
	out := func(p *line) cgpio.Output { return cgpio.Output{Pin: p, ActiveLow: b.activeLow} }
	return cgpio.Pins{
		Present:   cgpio.Input{Pin: b.present, ActiveLow: b.activeLow, Pull: pull},
		Light:     out(b.light),
		Ready:     out(b.ready),
		Busy:      out(b.busy),
		Attention: out(b.attention),
	}
}

// testDebounce never elapses by itself: the test lets it pass with quiet,
// so no test depends on the machine's speed. It is far longer than the
// cradle's idle poll, so letting it pass ends any wait.
const testDebounce = time.Hour

func (b *board) open() (*cgpio.Cradle, error) {
	return b.start(b.pins(), cgpio.Options{Debounce: testDebounce})
}

// start makes a cradle and lets its first idle poll run out: the cradle
// halts its input only once a first wait has returned (gpioioctl sets up
// what Halt interrupts during that wait) and until then counts on the poll
// timing out, which in fake time it never does unless the test says so.
func (b *board) start(p cgpio.Pins, o cgpio.Options) (*cgpio.Cradle, error) {
	c, err := cgpio.New(p, o)
	if err == nil {
		b.present.quiet()
	}
	return c, err
}

// lvl is the level of a card or light being on.
func (b *board) lvl(on bool) pgpio.Level { return pgpio.Level(on != b.activeLow) }

// move changes the switch to on with n bounces first and lets it settle.
func (b *board) move(on bool, n int) {
	for i := range n {
		if !b.present.edge(b.lvl(i%2 == 0 == on)) {
			return
		}
	}
	if b.present.edge(b.lvl(on)) {
		b.present.quiet()
	}
}

func (b *board) Place()               { b.move(true, 0) }
func (b *board) Remove()              { b.move(false, 0) }
func (b *board) PlaceBouncing(n int)  { b.move(true, n) }
func (b *board) RemoveBouncing(n int) { b.move(false, n) }

func (b *board) lit(p *line) bool { return p.Read() == b.lvl(true) }

func (b *board) Light() bool { return b.lit(b.light) }

func (b *board) Status() cradle.Status {
	lit := cradle.Status(-1)
	for s, p := range map[cradle.Status]*line{
		cradle.StatusReady: b.ready, cradle.StatusBusy: b.busy, cradle.StatusAttention: b.attention,
	} {
		if b.lit(p) {
			if lit != -1 {
				return -1 // two lit
			}
			lit = s
		}
	}
	return lit
}
