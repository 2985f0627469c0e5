package config

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Languages the UI has catalogues for. kioskd checks this list against the
// catalogues at start, so the two cannot drift.
var Languages = []string{"en", "es", "fr"}

var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// validate checks values that decoded with the right type but cannot work.
func validate(c *Config, lines map[string]int, ps *Problems) {
	bad := func(key, format string, args ...any) {
		ps.add(key, lines[key], format, args...)
	}

	if c.Device.ID == "" {
		bad("device.id", "required: a name for this kiosk, e.g. \"testcentre-3-kiosk-1\"")
	} else if !deviceIDPattern.MatchString(c.Device.ID) {
		bad("device.id", "%q: use letters, digits, '-', '_' or '.', at most 64", c.Device.ID)
	}
	if !filepath.IsAbs(c.Device.DataDir) {
		bad("device.data_dir", "%q: must be an absolute path", c.Device.DataDir)
	}

	checkLoopback(c.UI.Listen, func(format string, args ...any) { bad("ui.listen", format, args...) })
	if len(c.UI.Languages) == 0 {
		bad("ui.languages", "list at least one language")
	}
	for _, l := range c.UI.Languages {
		if !slices.Contains(Languages, l) {
			bad("ui.languages", "%q has no catalogue; available: %s", l, strings.Join(Languages, ", "))
		}
	}
	if !slices.Contains(c.UI.Languages, c.UI.DefaultLanguage) {
		bad("ui.default_language", "%q is not in ui.languages", c.UI.DefaultLanguage)
	}
	atLeast(bad, "ui.idle_timeout", c.UI.IdleTimeout, 15*time.Second)
	if c.UI.IdleWarning <= 0 || c.UI.IdleWarning >= c.UI.IdleTimeout {
		bad("ui.idle_warning", "%s: must be above 0 and below ui.idle_timeout (%s)", c.UI.IdleWarning, c.UI.IdleTimeout)
	}
	atLeast(bad, "ui.receipt_timeout", c.UI.ReceiptTimeout, 5*time.Second)
	if c.UI.Demo && c.Camera.Driver != "sim" && c.Cradle.Driver != "sim" {
		bad("ui.demo", "the simulation panel needs camera.driver or cradle.driver = \"sim\"")
	}

	switch c.Camera.Driver {
	case "sim":
	case "v4l2":
		if c.Camera.Device == "" {
			bad("camera.device", "required with camera.driver = \"v4l2\", e.g. /dev/v4l/by-id/usb-...-video-index0")
		}
	default:
		bad("camera.driver", "%q: want \"sim\" or \"v4l2\"", c.Camera.Driver)
	}
	if c.Camera.Width < 160 || c.Camera.Width > 4096 || c.Camera.Width%2 != 0 {
		bad("camera.width", "%d: want an even number from 160 to 4096", c.Camera.Width)
	}
	if c.Camera.Height < 120 || c.Camera.Height > 3072 || c.Camera.Height%2 != 0 {
		bad("camera.height", "%d: want an even number from 120 to 3072", c.Camera.Height)
	}
	if c.Camera.FPS <= 0 || c.Camera.FPS > 120 {
		bad("camera.fps", "%g: want more than 0 and at most 120", c.Camera.FPS)
	}
	if c.Camera.PreviewFPS <= 0 || c.Camera.PreviewFPS > 60 {
		bad("camera.preview_fps", "%g: want more than 0 and at most 60", c.Camera.PreviewFPS)
	}
	if c.Camera.JPEGQuality < 1 || c.Camera.JPEGQuality > 100 {
		bad("camera.jpeg_quality", "%d: want 1 to 100", c.Camera.JPEGQuality)
	}

	switch c.Cradle.Driver {
	case "sim", "none":
	case "gpio":
		validateCradleGPIO(&c.Cradle, bad)
	default:
		bad("cradle.driver", "%q: want \"sim\", \"gpio\" or \"none\"", c.Cradle.Driver)
	}
	if c.Cradle.Settle < 0 || c.Cradle.Settle > 5*time.Second {
		bad("cradle.settle", "%s: want 0s to 5s", c.Cradle.Settle)
	}
	validateQuality(&c.Quality, bad)

	// https only: the kiosk authenticates with its client certificate and
	// trusts the service by the CA it pinned at enrollment.
	if u, err := url.Parse(c.Service.URL); err != nil || u.Scheme != "https" || u.Host == "" {
		bad("service.url", "%q: want an https:// URL with a host", c.Service.URL)
	} else if u.User != nil {
		bad("service.url", "must not carry credentials; the kiosk authenticates with its enrolled certificate")
	}
	atLeast(bad, "service.key_refresh", c.Service.KeyRefresh, time.Second)
	atLeast(bad, "service.timeout", c.Service.Timeout, time.Second)
	atLeast(bad, "service.min_backoff", c.Service.MinBackoff, 100*time.Millisecond)
	if c.Service.MaxBackoff < c.Service.MinBackoff {
		bad("service.max_backoff", "%s: must be at least service.min_backoff (%s)", c.Service.MaxBackoff, c.Service.MinBackoff)
	}

	if c.Queue.MaxItems < 1 {
		bad("queue.max_items", "%d: want at least 1", c.Queue.MaxItems)
	}
	if c.Queue.MaxMB < 1 {
		bad("queue.max_mb", "%d: want at least 1", c.Queue.MaxMB)
	}
	if c.Queue.Path != "" && !filepath.IsAbs(c.Queue.Path) {
		bad("queue.path", "%q: must be an absolute path", c.Queue.Path)
	}
	validateQueue(c, bad)
	validateCamera(c, bad)
	validateAdmin(c, bad)
	validateOps(c, bad)
	validateStaff(c, bad)

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q: want debug, info, warn or error", c.Log.Level)
	}
}

func atLeast(bad func(string, string, ...any), key string, d, low time.Duration) {
	if d < low {
		bad(key, "%s: want at least %s", d, low)
	}
}

// checkLoopback accepts host:port where host is a loopback IP or
// "localhost"; the learner UI must never be reachable from the network.
func checkLoopback(addr string, bad func(string, ...any)) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		bad("%q: want host:port, e.g. 127.0.0.1:8080", addr)
		return
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		bad("%q: bad port", addr)
	}
	if host == "localhost" {
		return
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		bad("%q: must be a loopback address (127.0.0.1 or [::1]); the UI shows personal data", addr)
	}
}

// checkSecretFile requires an existing regular file no one but its owner can read.
func checkSecretFile(path string, bad func(string, ...any)) {
	if path == "" {
		bad("required: the file with this device's API token")
		return
	}
	st, err := os.Stat(path)
	if err != nil {
		bad("%v", err)
		return
	}
	if !st.Mode().IsRegular() {
		bad("%s is not a regular file", path)
		return
	}
	if st.Mode().Perm()&0o077 != 0 {
		bad("%s is readable by others (mode %04o); chmod 600 it", path, st.Mode().Perm())
	}
}
