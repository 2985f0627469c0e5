package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/diag"
	"github.com/idkiosk/idkiosk/capture/v4l2"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// cameraParts is kioskd's camera side: the Runner that keeps the camera
// streaming into the hub through unplugs, and the diag Monitor that turns
// the Runner's state, the frames and the device node into the one state the
// learner, staff (/api/diagnostics) and /healthz see.
type cameraParts struct {
	runner  *capture.Runner
	monitor *diag.Monitor
	hub     *capture.Hub
	driver  string
	changes chan capture.State // the monitor's latest state, for the session
}

// newV4L2Camera is the real camera from the [camera] section.
func newV4L2Camera(c config.Camera) *v4l2.Camera {
	return v4l2.New(v4l2.Options{
		Device: c.Device, Width: c.Width, Height: c.Height, FPS: c.FPS,
		Format: c.Format, JPEGQuality: c.JPEGQuality,
	})
}

func newCamera(cfg *config.Config, cam capture.Camera, hub *capture.Hub, log *slog.Logger) *cameraParts {
	c := &cameraParts{hub: hub, driver: cfg.Camera.Driver, changes: make(chan capture.State, 1)}
	c.runner = &capture.Runner{
		Camera: cam, Hub: hub, Log: log,
		MaxBackoff: cfg.Camera.MaxBackoff, StallTimeout: cfg.Camera.StallTimeout,
	}
	o := diag.Options{
		Runner: c.runner, Hub: hub,
		BlackAfter: cfg.Camera.BlackAfter, FrozenAfter: cfg.Camera.FrozenAfter,
		OnChange: c.changed,
		Log:      log,
	}
	if v, ok := cam.(*v4l2.Camera); ok {
		// Device checks only for a real node; the simulator has none.
		o.Device = cfg.Camera.Device
		o.Format = func() string {
			if f, ok := v.Format(); ok {
				return f.String()
			}
			return ""
		}
	}
	c.monitor = diag.New(o)
	return c
}

// Run keeps the camera streaming and checked until ctx ends.
func (c *cameraParts) Run(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- c.monitor.Run(ctx) }()
	err := c.runner.Run(ctx)
	<-done
	return err
}

// State is the camera's state as everyone sees it.
func (c *cameraParts) State() capture.State { return c.monitor.State() }

// changed keeps only the newest state for follow: the session needs the
// current one, not the history.
func (c *cameraParts) changed(s capture.State) {
	for {
		select {
		case c.changes <- s:
			return
		default:
		}
		select {
		case <-c.changes:
		default:
		}
	}
}

// follow tells the session the camera's state until ctx ends, so the photo
// steps can tell the learner in plain words.
func (c *cameraParts) follow(ctx context.Context, sess *session.Session) error {
	sess.SetCameraState(c.monitor.State().String())
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-c.changes:
			sess.SetCameraState(s.String())
		}
	}
}

// preview is the MJPEG preview: the placeholder replaces the picture as
// soon as the Runner stops streaming, never a frozen last frame.
func (c *cameraParts) preview(maxFPS float64) http.Handler {
	return capture.PreviewHandler(c.hub, capture.PreviewOptions{
		MaxFPS: maxFPS,
		Live:   func() bool { return c.runner.State() == capture.StateStreaming },
	})
}

// diagnosticsReport is /api/diagnostics: the checks, run on demand, for
// staff tools. No personal data: device names, states and counters only.
type diagnosticsReport struct {
	Driver string `json:"driver"`
	diag.Report
}

func (c *cameraParts) diagnostics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := diagnosticsReport{Driver: c.driver, Report: c.monitor.Check()}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	})
}

// printCameras is `kioskd -list-cameras`: what an installer needs to fill
// in camera.device, width, height and fps.
func printCameras(w io.Writer) error {
	cams, err := v4l2.Enumerate()
	if err != nil {
		return fmt.Errorf("list cameras: %w", err)
	}
	if len(cams) == 0 {
		fmt.Fprintln(w, "no video capture devices found")
		return nil
	}
	for _, c := range cams {
		fmt.Fprintf(w, "%s  %s  (driver %s, bus %s)\n", c.Path, c.Name, c.Driver, c.Bus)
		for _, l := range c.ByID {
			fmt.Fprintf(w, "  camera.device = %q\n", l)
		}
		if len(c.ByID) == 0 {
			fmt.Fprintln(w, "  no /dev/v4l/by-id link (udev not running?): use the path above")
		}
		if c.Err != "" {
			fmt.Fprintf(w, "  cannot query: %s\n", c.Err)
		}
		for _, f := range c.Formats {
			var sizes []string
			for _, s := range f.Sizes {
				fps := make([]string, len(s.FPS))
				for i, v := range s.FPS {
					fps[i] = fmt.Sprintf("%g", v)
				}
				sizes = append(sizes, fmt.Sprintf("%dx%d@%s", s.Width, s.Height, strings.Join(fps, "/")))
			}
			fmt.Fprintf(w, "  %s %s: %s\n", f.FourCC, f.Description, strings.Join(sizes, " "))
		}
	}
	return nil
}
