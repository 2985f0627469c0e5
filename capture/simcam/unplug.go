package simcam

import (
	"fmt"

	"github.com/idkiosk/idkiosk/capture"
)

// Unplug makes the camera behave as a USB camera pulled out: the stream
// under way ends with an error wrapping capture.ErrNoDevice at its next
// frame, and every new Stream fails the same way until Plug. The kiosk's
// real recovery path (capture.Runner's disconnected state and reopening,
// the diagnostics, the learner's message) then runs without hardware.
func (c *Camera) Unplug() {
	c.mu.Lock()
	c.unplugged = true
	c.mu.Unlock()
}

// Plug puts the camera back: the next Stream delivers frames again.
func (c *Camera) Plug() {
	c.mu.Lock()
	c.unplugged = false
	c.mu.Unlock()
}

// Unplugged reports whether the camera is pulled out.
func (c *Camera) Unplugged() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unplugged
}

// gone is the error a pulled-out camera answers with, nil while plugged.
func (c *Camera) gone() error {
	if !c.Unplugged() {
		return nil
	}
	return fmt.Errorf("simcam %s: %w (unplugged)", c.opts.Name, capture.ErrNoDevice)
}
