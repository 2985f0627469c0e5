package gpio

import (
	"errors"
	"time"

	"github.com/idkiosk/idkiosk/device/cradle"
)

// idlePoll bounds each wait for an edge while none is pending, so the
// watcher notices Close even when Halt cannot interrupt the wait (see
// Cradle.close). It costs one wake-up per poll and nothing else.
const idlePoll = 250 * time.Millisecond

// failingWaits is how many waits in a row may give up long before their
// timeout before the input counts as broken. gpioioctl's WaitForEdge
// returns false at once when the read fails (a GPIO expander unplugged);
// without this the watcher would spin a core.
const failingWaits = 3

var errInputFails = errors.New("waiting for an edge fails at once")

// watch follows the presence input until Close. After an edge it waits for
// the line to stay quiet for the debounce time and only then reads the
// level: a bounce storm of any length is one change, and a storm that ends
// where it began is none. Reading the level rather than counting edges
// also makes an overflowing kernel edge queue (16 events per line)
// harmless. A line that never stops chattering never commits, which is
// right: nobody can tell what it means.
func (c *Cradle) watch() {
	defer close(c.done)
	in := c.pins.Present
	pending := false // an edge was seen and the line has not been quiet since
	primed := false
	fast := 0
	for {
		if c.stopping() {
			return
		}
		wait := idlePoll
		if pending {
			wait = c.debounce
		}
		start := time.Now()
		edge := in.Pin.WaitForEdge(wait)
		if !primed {
			primed = true
			close(c.primed)
		}
		if c.stopping() {
			return // an edge during shutdown goes with the cradle
		}
		switch {
		case edge:
			pending = true
			fast = c.inputWorks(fast)
		case pending:
			pending = false
			c.commit(bool(in.Pin.Read()) != in.ActiveLow)
		case time.Since(start) < idlePoll/2:
			fast++
			if fast >= failingWaits {
				c.inputFails(fast)
				c.pause(idlePoll)
			}
		default:
			fast = c.inputWorks(fast)
		}
	}
}

func (c *Cradle) stopping() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

// pause waits d or until Close, whichever comes first.
func (c *Cradle) pause(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.stop:
	}
}

func (c *Cradle) inputFails(n int) {
	if n != failingWaits {
		return // recorded once per run of failures
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults[RolePresent] = lineError(RolePresent, c.pins.Present.Pin, errInputFails)
}

// inputWorks clears a recorded input failure and resets the count.
func (c *Cradle) inputWorks(fast int) int {
	if fast >= failingWaits {
		c.mu.Lock()
		delete(c.faults, RolePresent)
		c.mu.Unlock()
	}
	return 0
}

// commit publishes a debounced level if it changed.
func (c *Cradle) commit(present bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || present == c.present {
		return
	}
	c.present = present
	ev := cradle.Event{Present: present, At: c.now()}
	for {
		select {
		case c.events <- ev:
			return
		default:
			select { // full: drop the oldest edge, keep the newest
			case <-c.events:
			default:
			}
		}
	}
}
