package gpio

import (
	"errors"
	"fmt"
	"sync"
	"time"

	pgpio "periph.io/x/conn/v3/gpio"

	"github.com/idkiosk/idkiosk/device/cradle"
)

// Role is what a line does in the cradle. It names the line in errors.
type Role string

// The cradle's lines.
const (
	RolePresent   Role = "present"   // card-present switch (input)
	RoleLight     Role = "light"     // illumination for ID photos
	RoleReady     Role = "ready"     // status: waiting for a learner
	RoleBusy      Role = "busy"      // status: a session is under way
	RoleAttention Role = "attention" // status: staff needed
)

// DefaultDebounce is used when Options.Debounce is zero. A microswitch
// bounces for well under 10 ms, but a card slid in by hand can make it
// chatter for longer; 50 ms covers both and is still far below what a
// person notices (the session waits cradle.settle after the edge anyway).
const DefaultDebounce = 50 * time.Millisecond

// Input is the card-present switch.
type Input struct {
	Pin       pgpio.PinIn
	ActiveLow bool       // a card pulls the line low
	Pull      pgpio.Pull // bias to ask for; PullNoChange keeps the wiring's
}

// Output is one light. A nil Pin is a light that is not fitted.
type Output struct {
	Pin       pgpio.PinOut
	ActiveLow bool // the light is on while the line is low
}

// Pins are the cradle's lines. Present and Light are required; the status
// lights are optional, one by one.
type Pins struct {
	Present   Input
	Light     Output
	Ready     Output
	Busy      Output
	Attention Output
}

// Options tune a cradle. The zero value works.
type Options struct {
	// Debounce is how long the presence input must stay quiet after an
	// edge before its level counts; DefaultDebounce when zero.
	Debounce time.Duration
	// Now stamps events; time.Now when nil.
	Now func() time.Time
}

// Cradle is a cradle on GPIO lines. It implements cradle.Cradle.
type Cradle struct {
	pins     Pins
	debounce time.Duration
	now      func() time.Time
	events   chan cradle.Event

	stop   chan struct{} // closed by Close: the watcher returns
	primed chan struct{} // closed once the watcher's first wait returned; see Close
	done   chan struct{} // closed when the watcher has returned

	closeOnce sync.Once
	released  func() // after the lines are given back; set by Open

	mu      sync.Mutex
	present bool
	light   bool
	status  cradle.Status
	closed  bool
	faults  map[Role]error // the latest failure of each line, until it works again
}

var _ cradle.Cradle = (*Cradle)(nil)

// New claims the pins and starts following the presence input. Every light
// is driven off first, so a light left on by a kioskd that crashed goes off
// as soon as the next one starts. On an error nothing stays claimed; the
// error is a *LineError naming the line.
func New(p Pins, o Options) (*Cradle, error) {
	if p.Present.Pin == nil {
		return nil, errors.New("cradle: no presence input")
	}
	if p.Light.Pin == nil {
		return nil, errors.New("cradle: no light output")
	}
	c := &Cradle{
		pins:     p,
		debounce: o.Debounce,
		now:      o.Now,
		// A small buffer like a driver's edge queue; when it is full the
		// oldest edge is dropped, never the newest (as cradle.Sim does).
		events: make(chan cradle.Event, 8),
		stop:   make(chan struct{}),
		primed: make(chan struct{}),
		done:   make(chan struct{}),
		faults: make(map[Role]error),
	}
	if c.debounce <= 0 {
		c.debounce = DefaultDebounce
	}
	if c.now == nil {
		c.now = time.Now
	}
	// Outputs before the input: a half-opened cradle must never leave a
	// light on, and the light is the first thing switched off.
	for _, o := range c.outputs() {
		// gpioioctl claims a line as an output at its low level and only
		// then takes the level given, so an active-low light can flash for
		// the microseconds between the two ioctls.
		if err := drive(o.out, false); err != nil {
			c.release()
			return nil, lineError(o.role, o.out.Pin, err)
		}
	}
	in := p.Present
	if err := in.Pin.In(in.Pull, pgpio.BothEdges); err != nil {
		c.outputsOff()
		c.release()
		return nil, lineError(RolePresent, in.Pin, err)
	}
	// Read after edge detection is on, so a card placed between the two
	// calls is seen as an edge and not lost.
	c.present = bool(in.Pin.Read()) != in.ActiveLow
	go c.watch()
	return c, nil
}

// Present implements cradle.Cradle: the debounced state of the switch.
func (c *Cradle) Present() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.present
}

// Events implements cradle.Cradle. The channel is closed by Close.
func (c *Cradle) Events() <-chan cradle.Event { return c.events }

// SetLight implements cradle.Cradle. If switching the light on fails, it
// is driven off before the error is returned: a light stuck on half-way is
// worse than a photo without it.
func (c *Cradle) SetLight(on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return cradle.ErrClosed
	}
	if err := c.set(RoleLight, c.pins.Light, on); err != nil {
		if on && c.set(RoleLight, c.pins.Light, false) == nil {
			c.light = false
			c.faults[RoleLight] = lineError(RoleLight, c.pins.Light.Pin, err) // the off that worked must not hide it
		}
		return fmt.Errorf("cradle light on=%v: %w", on, err)
	}
	c.light = on
	return nil
}

// Light implements cradle.Cradle: the level last driven successfully. After
// a failed "off" it stays true, because the light may well still be on.
func (c *Cradle) Light() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.light
}

// SetStatus implements cradle.Cradle. Exactly one fitted status light is
// on afterwards; the others are switched off first, so two are never lit.
func (c *Cradle) SetStatus(s cradle.Status) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return cradle.ErrClosed
	}
	want, ok := statusRole[s]
	if !ok {
		return fmt.Errorf("cradle status %d: unknown", s)
	}
	var first error
	for _, on := range []bool{false, true} {
		for _, o := range c.outputs() {
			if o.role == RoleLight || (o.role == want) != on {
				continue
			}
			if err := c.set(o.role, o.out, on); err != nil && first == nil {
				first = fmt.Errorf("cradle status %s: %w", s, err)
			}
		}
	}
	if first != nil {
		return first
	}
	c.status = s
	return nil
}

var statusRole = map[cradle.Status]Role{
	cradle.StatusReady:     RoleReady,
	cradle.StatusBusy:      RoleBusy,
	cradle.StatusAttention: RoleAttention,
}

// Status returns the status last set successfully; before the first
// SetStatus no status light is on and it says StatusReady.
func (c *Cradle) Status() cradle.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Health returns nil while every line works, else the latest failure of a
// line that has not worked since (the light first).
func (c *Cradle) Health() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range []Role{RoleLight, RolePresent, RoleReady, RoleBusy, RoleAttention} {
		if err := c.faults[r]; err != nil {
			return err
		}
	}
	return nil
}

// Close implements cradle.Cradle: it stops following the switch, drives
// every light off (the illumination first), releases the lines and closes
// Events. Edges that arrive while it runs are dropped. It returns the first
// output that could not be switched off; the lines are released anyway.
func (c *Cradle) Close() error {
	var err error
	c.closeOnce.Do(func() { err = c.close() })
	return err
}

func (c *Cradle) close() error {
	c.mu.Lock()
	c.closed = true // from here no event is sent and no output changes
	c.mu.Unlock()

	close(c.stop)
	// Halt interrupts a pending WaitForEdge, but gpioioctl only sets up the
	// file it interrupts during the first wait, without a lock: halting
	// before that wait returned would race with it. Until then the watcher
	// notices stop within idlePoll.
	select {
	case <-c.primed:
		c.pins.Present.Pin.Halt()
	default:
	}
	<-c.done

	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.outputsOff()
	c.release()
	if c.released != nil {
		c.released()
	}
	close(c.events)
	return err
}

// output is a fitted light and its role.
type output struct {
	role Role
	out  Output
}

// outputs lists the fitted lights, the illumination first.
func (c *Cradle) outputs() []output {
	all := []output{
		{RoleLight, c.pins.Light},
		{RoleReady, c.pins.Ready},
		{RoleBusy, c.pins.Busy},
		{RoleAttention, c.pins.Attention},
	}
	fitted := all[:0]
	for _, o := range all {
		if o.out.Pin != nil {
			fitted = append(fitted, o)
		}
	}
	return fitted
}

// outputsOff drives every light off, carrying on past failures, and returns
// the first. Callers hold mu or own c alone.
func (c *Cradle) outputsOff() error {
	var first error
	for _, o := range c.outputs() {
		if err := c.set(o.role, o.out, false); err != nil && first == nil {
			first = fmt.Errorf("cradle %s off: %w", o.role, err)
		}
	}
	if c.faults[RoleLight] == nil {
		c.light = false
	}
	return first
}

// set drives one light and keeps its fault up to date. Callers hold mu.
func (c *Cradle) set(r Role, o Output, on bool) error {
	err := drive(o, on)
	if err != nil {
		c.faults[r] = lineError(r, o.Pin, err)
		return err
	}
	delete(c.faults, r)
	return nil
}

func drive(o Output, on bool) error {
	return o.Pin.Out(pgpio.Level(on != o.ActiveLow))
}

// release gives the lines back to the kernel. gpioioctl's lines have a
// Close method; fakes need none.
func (c *Cradle) release() {
	pins := []any{c.pins.Present.Pin}
	for _, o := range c.outputs() {
		pins = append(pins, o.out.Pin)
	}
	for _, p := range pins {
		if cl, ok := p.(interface{ Close() }); ok {
			cl.Close()
		}
	}
}
