// Package cradletest is the test suite every cradle.Cradle implementation
// must pass: the simulated cradle here, the GPIO cradle against a kernel
// GPIO chip (gpio-sim) in the hardware-in-the-loop test.
package cradletest

import (
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/device/cradle"
)

// Hand moves a card in and out of the cradle under test: the simulator's
// Place/Remove, or a gpio-sim line's pull for the GPIO cradle.
type Hand interface {
	Place()
	Remove()
}

// Lamps is what a person looking at the cradle sees. A Hand that also
// implements it lets the suite check the lights themselves, not only what
// the cradle says about them: the GPIO cradle's lines, gpio-sim's values.
type Lamps interface {
	// Light reports whether the illumination is lit.
	Light() bool
	// Status returns the lit status light, or a value that is none of the
	// three Status constants when none or several are lit.
	Status() cradle.Status
}

// Bouncer is a Hand whose card-present switch can bounce, as a real
// microswitch does. The simulated cradle has no switch, so no bounce.
type Bouncer interface {
	// PlaceBouncing places the card with the switch chattering n times
	// (on, off, on, ...) before it settles placed.
	PlaceBouncing(n int)
	// RemoveBouncing takes it out the same way.
	RemoveBouncing(n int)
}

// Factory makes a fresh, empty cradle and the hand that drives it.
type Factory func(t *testing.T) (cradle.Cradle, Hand)

// Run runs the suite against the cradles newCradle makes.
func Run(t *testing.T, newCradle Factory) {
	t.Run("PlaceAndRemove_OneEventEach", func(t *testing.T) {
		c, hand := newCradle(t)
		defer c.Close()
		if c.Present() {
			t.Fatal("a new cradle reports a card")
		}
		hand.Place()
		if ev := next(t, c); !ev.Present {
			t.Errorf("after placing: event Present=%v, want true", ev.Present)
		}
		if !c.Present() {
			t.Error("after placing: Present() = false")
		}
		hand.Remove()
		if ev := next(t, c); ev.Present {
			t.Errorf("after removing: event Present=%v, want false", ev.Present)
		}
		if c.Present() {
			t.Error("after removing: Present() = true")
		}
	})
	t.Run("Light", func(t *testing.T) {
		c, hand := newCradle(t)
		defer c.Close()
		lamps, seen := hand.(Lamps)
		if seen && lamps.Light() {
			t.Error("a new cradle's light is lit")
		}
		for _, on := range []bool{true, false, true} {
			if err := c.SetLight(on); err != nil {
				t.Fatalf("SetLight(%v): %v", on, err)
			}
			if got := c.Light(); got != on {
				t.Errorf("Light() = %v after SetLight(%v)", got, on)
			}
			if seen && lamps.Light() != on {
				t.Errorf("after SetLight(%v) the lamp is lit=%v", on, lamps.Light())
			}
		}
	})
	t.Run("Close_TurnsLightOffAndEndsEvents", func(t *testing.T) {
		c, hand := newCradle(t)
		if err := c.SetLight(true); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if c.Light() {
			t.Error("the light stayed on after Close")
		}
		if lamps, ok := hand.(Lamps); ok && lamps.Light() {
			t.Error("Light() says off after Close, but the lamp is lit")
		}
		select {
		case _, ok := <-c.Events():
			if ok {
				t.Error("an event arrived after Close")
			}
		case <-time.After(5 * time.Second):
			t.Error("Events() was not closed by Close")
		}
		if err := c.SetLight(true); err == nil {
			t.Error("SetLight after Close succeeded")
		}
		if err := c.SetStatus(cradle.StatusBusy); err == nil {
			t.Error("SetStatus after Close succeeded")
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	t.Run("Status", func(t *testing.T) {
		c, hand := newCradle(t)
		defer c.Close()
		lamps, seen := hand.(Lamps)
		for _, s := range []cradle.Status{cradle.StatusBusy, cradle.StatusAttention, cradle.StatusReady} {
			if err := c.SetStatus(s); err != nil {
				t.Errorf("SetStatus(%s): %v", s, err)
			}
			if seen && lamps.Status() != s {
				t.Errorf("after SetStatus(%s) the lit status light is %s", s, lamps.Status())
			}
		}
	})
	// A learner can pull the card out just as kioskd stops: Close must
	// still finish, leave the light off and end the events, and nothing
	// may be sent after it.
	t.Run("EdgesDuringClose", func(t *testing.T) {
		c, hand := newCradle(t)
		if err := c.SetLight(true); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		moved := make(chan struct{})
		go func() {
			defer close(moved)
			for {
				select {
				case <-stop:
					return
				default:
				}
				hand.Place()
				hand.Remove()
			}
		}()
		err := c.Close()
		close(stop)
		<-moved
		if err != nil {
			t.Errorf("Close: %v", err)
		}
		if c.Light() {
			t.Error("the light stayed on after Close")
		}
		if lamps, ok := hand.(Lamps); ok && lamps.Light() {
			t.Error("the lamp is lit after Close")
		}
		untilClosed(t, c) // events sent before Close may still be queued
	})
	// A bouncing switch makes one event per real move; the check that no
	// stray event hides between them is the empty queue at the end.
	t.Run("Bounce_OneEventPerMove", func(t *testing.T) {
		c, hand := newCradle(t)
		b, ok := hand.(Bouncer)
		if !ok {
			c.Close()
			t.Skip("this cradle's hand cannot bounce")
		}
		b.PlaceBouncing(20)
		if ev := next(t, c); !ev.Present {
			t.Errorf("after a bouncing placement: event Present=%v, want true", ev.Present)
		}
		b.RemoveBouncing(20)
		if ev := next(t, c); ev.Present {
			t.Errorf("after a bouncing removal: event Present=%v, want false", ev.Present)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		for _, ev := range untilClosed(t, c) {
			t.Errorf("stray event Present=%v: a bounce got through", ev.Present)
		}
	})
}

// untilClosed returns the events still queued after Close, failing if
// Close did not close the channel.
func untilClosed(t *testing.T, c cradle.Cradle) []cradle.Event {
	t.Helper()
	var rest []cradle.Event
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return rest
			}
			rest = append(rest, ev)
		case <-deadline:
			t.Fatal("Events() was not closed by Close")
			return nil
		}
	}
}

// next waits for the next presence event. Five seconds is far beyond any
// debounce a real cradle uses; it only bounds a broken implementation.
func next(t *testing.T, c cradle.Cradle) cradle.Event {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		if !ok {
			t.Fatal("events channel closed")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no presence event")
	}
	return cradle.Event{}
}
