package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/simcam"
	"github.com/idkiosk/idkiosk/cmd/internal/learner"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// hardware is the camera and cradle kioskd drives, real or simulated.
type hardware struct {
	camera capture.Camera
	cradle cradle.Cradle // nil: no cradle fitted
	gpio   *gpioCradle   // the GPIO cradle or why it failed; nil for other drivers
	demo   *simDemo      // nil unless something is simulated
	// follow, for a simulated camera, points it at what the learner would
	// be showing at each step.
	follow func(context.Context, *session.Session) error
}

func newHardware(cfg *config.Config) (*hardware, error) {
	hw := &hardware{}
	var cam *simcam.Camera
	switch cfg.Camera.Driver {
	case "sim":
		cam = simcam.New(simcam.Options{Width: cfg.Camera.Width, Height: cfg.Camera.Height, FPS: cfg.Camera.FPS})
		hw.camera = cam
	case "v4l2":
		hw.camera = newV4L2Camera(cfg.Camera)
	default:
		return nil, fmt.Errorf("camera driver %q is not built into this kioskd", cfg.Camera.Driver)
	}
	var sim *cradle.Sim
	switch cfg.Cradle.Driver {
	case "sim":
		sim = cradle.NewSim()
		hw.cradle = sim
	case "gpio":
		hw.cradle, hw.gpio = openGPIOCradle(cfg.Cradle)
	case "none":
	default:
		return nil, fmt.Errorf("cradle driver %q is not built into this kioskd", cfg.Cradle.Driver)
	}
	if cam != nil || sim != nil {
		hw.demo = &simDemo{cam: cam, cradle: sim}
	}
	if cam != nil {
		hw.follow = hw.demo.follow
	}
	return hw, nil
}

func (hw *hardware) close() {
	if hw.cradle != nil {
		hw.cradle.Close() // turns the light off
	}
}

// simDemo lets the page's demo panel stand in for the learner's hands:
// place or remove the card, or pin what the simulated camera sees. In
// "auto" the camera follows the session's step.
type simDemo struct {
	cam    *simcam.Camera // nil when the camera is real
	cradle *cradle.Sim    // nil when the cradle is real or absent

	mu     sync.Mutex
	pinned bool
}

// sceneAuto follows the session; sceneUnplugged pulls the simulated
// camera's cable (simcam.Unplug), for trying what staff and learners see
// when the camera is gone.
const (
	sceneAuto      = "auto"
	sceneUnplugged = "unplugged"
)

func (d *simDemo) SetCradle(present bool) error {
	if d.cradle == nil {
		return fmt.Errorf("the cradle is not simulated")
	}
	if present {
		d.cradle.Place()
	} else {
		d.cradle.Remove()
	}
	return nil
}

func (d *simDemo) SetScene(name string) error {
	if d.cam == nil {
		return fmt.Errorf("the camera is not simulated")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if name == sceneUnplugged {
		d.pinned = true
		d.cam.Unplug()
		return nil
	}
	if name == sceneAuto {
		d.pinned = false
		d.cam.Plug()
		return nil
	}
	sc, err := simcam.ParseScene(name)
	if err != nil {
		return err
	}
	d.pinned = true
	d.cam.Plug()
	d.cam.SetScene(sc)
	return nil
}

func (d *simDemo) Scenes() []string {
	if d.cam == nil {
		return nil
	}
	out := []string{sceneAuto}
	for _, s := range simcam.Scenes() {
		out = append(out, string(s))
	}
	return append(out, sceneUnplugged)
}

func (d *simDemo) Scene() string {
	if d.cam == nil {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.cam.Unplugged():
		return sceneUnplugged
	case !d.pinned:
		return sceneAuto
	}
	return string(d.cam.Scene())
}

// follow sets the simulated camera's scene from each session state until
// ctx ends, unless the demo panel pinned one.
func (d *simDemo) follow(ctx context.Context, s *session.Session) error {
	states, cancel := s.Subscribe()
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case st, ok := <-states:
			if !ok {
				return nil
			}
			d.mu.Lock()
			if !d.pinned {
				d.cam.SetScene(learner.Scene(st.Step, st.TwoSided))
			}
			d.mu.Unlock()
		}
	}
}
