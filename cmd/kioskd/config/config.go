package config

import "time"

// Config is kioskd's whole configuration. Field tags: `toml` is the key,
// `doc` explains it in the generated example.
type Config struct {
	Device  Device  `toml:"device" doc:"This kiosk's identity and where it keeps its state."`
	UI      UI      `toml:"ui" doc:"The learner's touchscreen app."`
	Camera  Camera  `toml:"camera" doc:"The camera that takes every photo."`
	Cradle  Cradle  `toml:"cradle" doc:"The ID-card cradle."`
	Service Service `toml:"service" doc:"The central verification service profiles are delivered to."`
	Queue   Queue   `toml:"queue" doc:"The on-disk outbox of sealed profiles."`
	Log     Log     `toml:"log" doc:"Logging."`
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
}

// Cradle configures the ID-card cradle.
type Cradle struct {
	Driver string        `toml:"driver" doc:"\"sim\" for the simulated cradle, \"none\" when the kiosk has no cradle (hold-to-camera only)."`
	Settle time.Duration `toml:"settle" doc:"Wait this long after a card is placed before capturing, so it has stopped moving."`
}

// Service configures delivery to the central verification service.
type Service struct {
	URL             string        `toml:"url" doc:"Base URL of the verification service. Use https:// outside a lab."`
	PublicKey       string        `toml:"public_key" doc:"Path of the service's HPKE public key (.pub): every profile is sealed to it before it touches disk."`
	DeviceTokenFile string        `toml:"device_token_file" doc:"Path of the file holding this device's API token (mode 0600)."`
	Timeout         time.Duration `toml:"timeout" doc:"Give up on one request after this long."`
	MinBackoff      time.Duration `toml:"min_backoff" doc:"First retry delay after a failed delivery; doubles (with jitter) per attempt."`
	MaxBackoff      time.Duration `toml:"max_backoff" doc:"Longest delay between delivery attempts, also the cap on a server's Retry-After."`
}

// Queue configures the outbox.
type Queue struct {
	Path     string `toml:"path" doc:"bbolt file of sealed profiles; empty means <data_dir>/outbox.db."`
	MaxItems int    `toml:"max_items" doc:"Refuse new profiles when this many wait for delivery."`
	MaxMB    int    `toml:"max_mb" doc:"Refuse new profiles when the queued profiles take this many MiB."`
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
		},
		Cradle: Cradle{Driver: "sim", Settle: 300 * time.Millisecond},
		Service: Service{
			URL:        "http://127.0.0.1:8700",
			Timeout:    30 * time.Second,
			MinBackoff: 2 * time.Second,
			MaxBackoff: 5 * time.Minute,
		},
		// 5000 profiles of ~300 KB sealed is ~1.5 GB, weeks of a busy test
		// centre offline; the MiB cap protects a small data partition.
		Queue: Queue{MaxItems: 5000, MaxMB: 2048},
		Log:   Log{Level: "info"},
	}
}

// QueuePath is where the outbox lives.
func (c *Config) QueuePath() string {
	if c.Queue.Path != "" {
		return c.Queue.Path
	}
	return c.Device.DataDir + "/outbox.db"
}
