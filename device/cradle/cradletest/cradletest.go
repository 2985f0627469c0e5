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
		c, _ := newCradle(t)
		defer c.Close()
		for _, on := range []bool{true, false, true} {
			if err := c.SetLight(on); err != nil {
				t.Fatalf("SetLight(%v): %v", on, err)
			}
			if got := c.Light(); got != on {
				t.Errorf("Light() = %v after SetLight(%v)", got, on)
			}
		}
	})
	t.Run("Close_TurnsLightOffAndEndsEvents", func(t *testing.T) {
		c, _ := newCradle(t)
		if err := c.SetLight(true); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if c.Light() {
			t.Error("the light stayed on after Close")
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
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	t.Run("Status", func(t *testing.T) {
		c, _ := newCradle(t)
		defer c.Close()
		for _, s := range []cradle.Status{cradle.StatusBusy, cradle.StatusAttention, cradle.StatusReady} {
			if err := c.SetStatus(s); err != nil {
				t.Errorf("SetStatus(%s): %v", s, err)
			}
		}
	})
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
