package config

import (
	"path/filepath"
	"time"
)

// unixSocketPathMax is sun_path's size on Linux, less the terminating NUL.
const unixSocketPathMax = 107

// validateQueue checks the queue keys added for delivery hardening.
func validateQueue(c *Config, bad func(key, format string, args ...any)) {
	if c.Queue.MinFreeMB < 0 {
		bad("queue.min_free_mb", "%d: want 0 or more", c.Queue.MinFreeMB)
	}
	if c.Queue.Parallel < 1 || c.Queue.Parallel > 32 {
		bad("queue.parallel", "%d: want 1 to 32", c.Queue.Parallel)
	}
	if c.Queue.CompactMinMB < 1 {
		bad("queue.compact_min_mb", "%d: want at least 1", c.Queue.CompactMinMB)
	}
	atLeast(bad, "queue.status_first", c.Queue.StatusFirst, time.Second)
	if c.Queue.StatusWindow < c.Queue.StatusFirst {
		bad("queue.status_window", "%s: must be at least queue.status_first (%s)", c.Queue.StatusWindow, c.Queue.StatusFirst)
	}
	if s := c.Queue.ControlSocket; s != "" && !filepath.IsAbs(s) {
		bad("queue.control_socket", "%q: must be an absolute path", s)
	}
	if s := c.ControlSocket(); len(s) > unixSocketPathMax {
		key := "queue.control_socket"
		if c.Queue.ControlSocket == "" {
			key = "device.data_dir"
		}
		bad(key, "the control socket path %q is %d bytes; unix sockets allow %d", s, len(s), unixSocketPathMax)
	}
}
