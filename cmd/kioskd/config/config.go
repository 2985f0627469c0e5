package config

import "time"

// Config is kioskd's whole configuration. Field tags: `toml` is the key,
// `doc` explains it in the generated example.
type Config struct {
	Device    Device    `toml:"device" doc:"This kiosk's identity and where it keeps its state."`
	UI        UI        `toml:"ui" doc:"The learner's touchscreen app."`
	Camera    Camera    `toml:"camera" doc:"The camera that takes every photo."`
	Cradle    Cradle    `toml:"cradle" doc:"The ID-card cradle."`
	Quality   Quality   `toml:"quality" doc:"Photo checks, live guidance, auto-capture and the staff override (capture/quality; defaults justified there)."`
	Service   Service   `toml:"service" doc:"The central verification service profiles are delivered to."`
	Queue     Queue     `toml:"queue" doc:"The on-disk outbox of sealed profiles."`
	Admin     Admin     `toml:"admin" doc:"Remote admins: the live camera preview (WHEP over HTTPS) and the admin page. Off unless listen and tokens are set."`
	Staff     Staff     `toml:"staff" doc:"Staff mode: queue, diagnostics and audit on the kiosk's own screen, and the quality override, behind the staff PIN."`
	Metrics   Metrics   `toml:"metrics" doc:"Prometheus metrics on the admin listener (GET /metrics)."`
	Heartbeat Heartbeat `toml:"heartbeat" doc:"Reports to the service's fleet page."`
	Log       Log       `toml:"log" doc:"Logging."`
}

// Device identifies the kiosk.
type Device struct {
	ID      string `toml:"id" doc:"Device ID sent with every profile and heartbeat (letters, digits, '-', '_', '.'; up to 64)."`
	DataDir string `toml:"data_dir" doc:"Directory for the queue and device secrets; created with mode 0700. Put it on the data partition."`
}

// UI configures the learner's app.
type UI struct {
	Listen          string        `toml:"listen" doc:"Address the UI listens on. Must be loopback: the pages show personal data."`
	Languages       []string      `toml:"languages" doc:"Languages offered in the picker, in order (en, es, fr)."`
	DefaultLanguage string        `toml:"default_language" doc:"Language shown on the welcome screen."`
	IdleTimeout     time.Duration `toml:"idle_timeout" doc:"Reset the session and wipe its photos after this long without a touch."`
	IdleWarning     time.Duration `toml:"idle_warning" doc:"Ask \"are you still there?\" this long before the idle reset."`
	ReceiptTimeout  time.Duration `toml:"receipt_timeout" doc:"Return to the welcome screen this long after the receipt is shown."`
	Demo            bool          `toml:"demo" doc:"Show the simulation panel (place/remove card, camera scene). Only with simulated hardware."`
}

// Camera configures capture.
type Camera struct {
	Driver      string  `toml:"driver" doc:"\"sim\" for the simulated camera, \"v4l2\" for a real one."`
	Device      string  `toml:"device" doc:"V4L2 device for driver v4l2; prefer a stable /dev/v4l/by-id/ path."`
	Width       int     `toml:"width" doc:"Capture width in pixels."`
	Height      int     `toml:"height" doc:"Capture height in pixels."`
	FPS         float64 `toml:"fps" doc:"Capture frame rate."`
	PreviewFPS  float64 `toml:"preview_fps" doc:"Highest frame rate sent to each preview viewer."`
	JPEGQuality int     `toml:"jpeg_quality" doc:"JPEG quality (1-100) for photos and the preview when the camera does not deliver JPEG."`

	// The real camera's format and failure handling (driver "v4l2"); see
	// capture/v4l2 and capture/diag.
	Format       string        `toml:"format" doc:"Pixel format for driver v4l2: \"auto\" (MJPEG when the camera offers it, else YUYV, else NV12), \"mjpeg\", \"yuyv\" or \"nv12\"."`
	StallTimeout time.Duration `toml:"stall_timeout" doc:"Treat the camera as disconnected when no frame arrives for this long (some USB cameras stop without an error)."`
	MaxBackoff   time.Duration `toml:"max_backoff" doc:"Longest wait between attempts to reopen a failed camera: a replugged camera is back within about this long."`
	BlackAfter   time.Duration `toml:"black_after" doc:"Report the picture as black (lens cap, covered camera) once it has been black this long."`
	FrozenAfter  time.Duration `toml:"frozen_after" doc:"Report the picture as frozen once no pixel has changed for this long."`
}

// Cradle configures the ID-card cradle.
type Cradle struct {
	Driver string        `toml:"driver" doc:"\"sim\" for the simulated cradle, \"gpio\" for one on GPIO lines, \"none\" when the kiosk has no cradle (hold-to-camera only)."`
	Settle time.Duration `toml:"settle" doc:"Wait this long after a card is placed before capturing, so it has stopped moving."`

	// The GPIO cradle's wiring (driver "gpio"); `gpioinfo` lists the lines.
	Debounce         time.Duration `toml:"debounce" doc:"The card switch must stay still this long after an edge before it counts (driver gpio)."`
	Chip             string        `toml:"chip" doc:"GPIO chip with the cradle's lines: its label (stable, e.g. \"pinctrl-bcm2711\") or name (\"gpiochip0\"); empty searches every chip."`
	PresentLine      string        `toml:"present_line" doc:"Line name of the card-present switch (input)."`
	PresentActiveLow bool          `toml:"present_active_low" doc:"The switch pulls its line low when a card is in."`
	PresentPull      string        `toml:"present_pull" doc:"Bias for the switch line: \"none\" (as wired), \"up\" or \"down\"."`
	LightLine        string        `toml:"light_line" doc:"Line name of the illumination light (output), on only while an ID photo is taken."`
	LightActiveLow   bool          `toml:"light_active_low" doc:"The light is on while its line is low."`
	ReadyLine        string        `toml:"ready_line" doc:"Line name of the \"ready\" status light; empty when not fitted."`
	BusyLine         string        `toml:"busy_line" doc:"Line name of the \"busy\" status light; empty when not fitted."`
	AttentionLine    string        `toml:"attention_line" doc:"Line name of the \"attention\" status light (card left behind, fault); empty when not fitted."`
	StatusActiveLow  bool          `toml:"status_active_low" doc:"The status lights are on while their lines are low."`
}

// Service configures delivery to the central verification service.
type Service struct {
	URL string `toml:"url" doc:"Base URL of the verification service (https://). The kiosk authenticates with the certificate from kioskctl enroll, kept with its keys in <data_dir>/identity."`
	// KeyRefresh: how the kiosk learns of a key rotation; see cmd/kioskd/identity.go.
	KeyRefresh time.Duration `toml:"key_refresh" doc:"How often to ask the service which key to seal new profiles to; between asks, and while it is unreachable, the last key it gave is used."`
	Timeout    time.Duration `toml:"timeout" doc:"Give up on one request after this long."`
	MinBackoff time.Duration `toml:"min_backoff" doc:"First retry delay after a failed delivery; doubles (with jitter) per attempt."`
	MaxBackoff time.Duration `toml:"max_backoff" doc:"Longest delay between delivery attempts, also the cap on a server's Retry-After."`
}

// Queue configures the outbox.
type Queue struct {
	Path     string `toml:"path" doc:"bbolt file of sealed profiles; empty means <data_dir>/outbox.db."`
	MaxItems int    `toml:"max_items" doc:"Refuse new profiles when this many wait for delivery."`
	MaxMB    int    `toml:"max_mb" doc:"Refuse new profiles when the queued profiles take this many MiB."`

	MinFreeMB     int           `toml:"min_free_mb" doc:"Refuse to start a new profile when the queue's partition has less than this many MiB free."`
	Parallel      int           `toml:"parallel" doc:"Deliver at most this many profiles at once when draining a backlog (in queue order)."`
	CompactMinMB  int           `toml:"compact_min_mb" doc:"When the queue is empty, rewrite the queue file if it is at least this many MiB and mostly free pages."`
	StatusFirst   time.Duration `toml:"status_first" doc:"First poll of a delivered profile's review outcome this long after delivery; the interval then doubles up to 6h."`
	StatusWindow  time.Duration `toml:"status_window" doc:"Stop polling a profile's review outcome this long after delivery."`
	ControlSocket string        `toml:"control_socket" doc:"Unix socket for kioskctl (mode 0660: owner and group); empty means <data_dir>/kioskd.sock."`
}

// Log configures logging.
type Log struct {
	Level string `toml:"level" doc:"debug, info, warn or error."`
}

// Default returns the configuration used for every key a file leaves out.
func Default() Config {
	return Config{
		Device: Device{ID: "", DataDir: "/var/lib/idkiosk"},
		UI: UI{
			Listen:          "127.0.0.1:8080",
			Languages:       []string{"en", "es", "fr"},
			DefaultLanguage: "en",
			// 90 s: long enough to read the privacy notice or find an ID in
			// a bag, short enough that the next person does not find the
			// previous learner's photos on screen.
			IdleTimeout:    90 * time.Second,
			IdleWarning:    20 * time.Second,
			ReceiptTimeout: 60 * time.Second,
		},
		Camera: Camera{
			Driver: "sim", Width: 640, Height: 480, FPS: 15, PreviewFPS: 15,
			// 85: the photo of an ID must stay legible to a reviewer; below
			// ~80 JPEG ringing blurs small print.
			JPEGQuality: 85,
			Format:      "auto",
			// 3 s: a UVC camera under load delivers late frames of up to
			// ~1 s; three times that is a camera that stopped.
			StallTimeout: 3 * time.Second,
			// 1 s: reopening a missing camera costs a stat and an open,
			// so trying every second is free, and a replugged camera is
			// streaming again within ~1.5 s (measured in the vivid VM
			// test: 0.5-0.9 s).
			MaxBackoff:  time.Second,
			BlackAfter:  2 * time.Second,
			FrozenAfter: 5 * time.Second,
		},
		Cradle: Cradle{
			Driver: "sim", Settle: 300 * time.Millisecond,
			// 50 ms: a microswitch bounces for under 10 ms, a card slid
			// in by hand chatters longer; still far below what anyone
			// notices, and settle follows anyway.
			Debounce: 50 * time.Millisecond,
			// The names of the reference cradle's wiring (and of the
			// gpio-sim lines in the hardware-in-the-loop test).
			PresentLine: "CRADLE_PRESENT", PresentPull: "none", LightLine: "CRADLE_LIGHT",
			ReadyLine: "CRADLE_READY", BusyLine: "CRADLE_BUSY", AttentionLine: "CRADLE_ATTENTION",
		},
		Service: Service{
			URL: "https://127.0.0.1:8700",
			// An hour: a rotation reaches every kiosk that is online the
			// same hour, for one small GET per kiosk per hour.
			KeyRefresh: time.Hour,
			Timeout:    30 * time.Second,
			MinBackoff: 2 * time.Second,
			MaxBackoff: 5 * time.Minute,
		},
		// 5000 profiles of ~300 KB sealed is ~1.5 GB, weeks of a busy test
		// centre offline; the MiB cap protects a small data partition.
		Queue: Queue{
			MaxItems: 5000, MaxMB: 2048,
			// 64 MiB: room for the profile being filled in (~1 MB), the
			// bbolt file's next 16 MiB growth step and the logs' next
			// rotation, so a refusal comes before anything fails to write.
			MinFreeMB: 64,
			Parallel:  4,
			// 64 MiB: below that a rewrite saves little; bbolt grows the
			// file in 16 MiB steps once it is past that size.
			CompactMinMB: 64,
			StatusFirst:  15 * time.Minute,
			StatusWindow: 14 * 24 * time.Hour,
		},
		Admin:     defaultAdmin(),
		Heartbeat: defaultHeartbeat(),
		Quality:   defaultQuality(),
		Staff:     defaultStaff(),
		Log:       Log{Level: "info"},
	}
}

// ControlSocket is where kioskd listens for kioskctl.
func (c *Config) ControlSocket() string {
	if c.Queue.ControlSocket != "" {
		return c.Queue.ControlSocket
	}
	return c.Device.DataDir + "/kioskd.sock"
}

// QueuePath is where the outbox lives.
func (c *Config) QueuePath() string {
	if c.Queue.Path != "" {
		return c.Queue.Path
	}
	return c.Device.DataDir + "/outbox.db"
}
