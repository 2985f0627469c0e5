package config

import (
	"slices"
	"time"
)

// cameraFormats are capture/v4l2's format preferences. The list is spelled
// out here so the config package stays free of cgo; a test in cmd/kioskd
// holds the two together.
var cameraFormats = []string{"auto", "mjpeg", "yuyv", "nv12"}

// CameraFormats lists the accepted camera.format values.
func CameraFormats() []string { return slices.Clone(cameraFormats) }

// validateCamera checks the real camera's keys.
func validateCamera(c *Config, bad func(key, format string, args ...any)) {
	if !slices.Contains(cameraFormats, c.Camera.Format) {
		bad("camera.format", "%q: want \"auto\", \"mjpeg\", \"yuyv\" or \"nv12\"", c.Camera.Format)
	}
	within(bad, "camera.stall_timeout", c.Camera.StallTimeout, 500*time.Millisecond, time.Minute)
	within(bad, "camera.max_backoff", c.Camera.MaxBackoff, 250*time.Millisecond, 5*time.Minute)
	within(bad, "camera.black_after", c.Camera.BlackAfter, time.Second, 10*time.Minute)
	within(bad, "camera.frozen_after", c.Camera.FrozenAfter, 2*time.Second, 10*time.Minute)
}

func within(bad func(key, format string, args ...any), key string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		bad(key, "%s: want %s to %s", d, lo, hi)
	}
}
