package session

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/sync/api"
)

// Camera takes a full-resolution still from the running stream.
// *capture.Hub implements it.
type Camera interface {
	Still(ctx context.Context) (capture.Still, error)
}

// Cradle is the part of the ID-card cradle the session drives.
// *cradle.Sim and the GPIO cradle implement it.
type Cradle interface {
	Present() bool
	Events() <-chan cradle.Event
	SetLight(on bool) error
	SetStatus(cradle.Status) error
}

// Saver stores a profile durably (sealed, committed, fsync'd). It returns nil
// only once the profile survives a power cut; an error means it was not
// stored. It must not keep p after returning: the session wipes the photos.
// When the queue is full it returns an error wrapping ErrQueueFull.
type Saver interface {
	Save(ctx context.Context, p *api.Profile) error
}

// Admitter is implemented by a Saver that can tell, before a learner
// starts, that it has no room for another profile (queue at its limit,
// disk full). The session then refuses to start rather than let the learner
// fill in everything and fail at the end. Admit must be quick.
type Admitter interface {
	Admit(ctx context.Context) error
}

// Accounts asks the central service whether an account exists for an email.
// It fails (or is nil) when the kiosk is offline; the flow goes on without it.
type Accounts interface {
	Lookup(ctx context.Context, email string) (api.LookupResponse, error)
}

// Clock is time as the session sees it, so tests can drive the inactivity
// and capture timers without sleeping.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	Stop() bool
}

// Config holds the session's settings. Zero values take the defaults below.
type Config struct {
	DeviceID        string
	Languages       []string // offered in the picker; default ["en"]
	DefaultLanguage string   // default Languages[0]

	// IdleTimeout is how long without a learner action before the session is
	// reset and wiped. IdleWarning before that, the page asks "are you still
	// there?".
	IdleTimeout time.Duration // default 90s
	IdleWarning time.Duration // default 20s

	ReceiptTimeout time.Duration // the receipt stays this long; default 60s
	// CradleSettle is the wait between a "placed" edge and the capture: the
	// learner's hand is usually still over the card at the edge.
	CradleSettle   time.Duration // default 300ms
	CaptureTimeout time.Duration // one still, light on; default 5s
	LookupTimeout  time.Duration // one account lookup; default 5s

	// ReviewDays is what the receipt promises: "usually within N days".
	ReviewDays int // default 3

	Quality QualityConfig // photo checks, guidance, overrides (quality.go)
	Staff   StaffConfig   // staff mode's PIN lockout and inactivity (staff.go)
}

// Defaults for Config.
const (
	DefaultIdleTimeout    = 90 * time.Second
	DefaultIdleWarning    = 20 * time.Second
	DefaultReceiptTimeout = 60 * time.Second
	DefaultCradleSettle   = 300 * time.Millisecond
	DefaultCaptureTimeout = 5 * time.Second
	DefaultLookupTimeout  = 5 * time.Second
	DefaultReviewDays     = 3
)

func (c Config) withDefaults() Config {
	if len(c.Languages) == 0 {
		c.Languages = []string{"en"}
	}
	if !slices.Contains(c.Languages, c.DefaultLanguage) {
		c.DefaultLanguage = c.Languages[0]
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.IdleWarning <= 0 {
		c.IdleWarning = DefaultIdleWarning
	}
	if c.IdleWarning >= c.IdleTimeout {
		c.IdleWarning = c.IdleTimeout / 4
	}
	if c.ReceiptTimeout <= 0 {
		c.ReceiptTimeout = DefaultReceiptTimeout
	}
	if c.CradleSettle <= 0 {
		c.CradleSettle = DefaultCradleSettle
	}
	if c.CaptureTimeout <= 0 {
		c.CaptureTimeout = DefaultCaptureTimeout
	}
	if c.LookupTimeout <= 0 {
		c.LookupTimeout = DefaultLookupTimeout
	}
	if c.ReviewDays <= 0 {
		c.ReviewDays = DefaultReviewDays
	}
	return c
}

// Deps are the parts the session drives. Camera and Saver are required;
// Cradle may be nil (then IDs are held up to the camera) and Accounts may be
// nil (no lookups, as when offline).
type Deps struct {
	Camera   Camera
	Cradle   Cradle
	Saver    Saver
	Accounts Accounts
	Clock    Clock         // default: the wall clock
	Log      *slog.Logger  // default: slog.Default()
	NewID    func() string // profile IDs; default: random UUIDs

	// Assessor and Frames turn on photo checks and live guidance
	// (quality.go); nil: photos are not checked.
	Assessor Assessor
	Frames   Frames
	// PIN turns on staff mode and the quality override (staff.go); nil:
	// neither exists. StaffAudit records what staff did; nil: nothing.
	PIN        PINChecker
	StaffAudit StaffAudit
	// StaffLockout keeps the PIN lockout across restarts and power cuts
	// (stafflock.go); nil: it lives in memory only.
	StaffLockout LockoutStore
	// OnReject counts photos that failed their checks (observe.go); nil: nobody.
	OnReject RejectHook
}

func (d Deps) withDefaults() Deps {
	if d.Clock == nil {
		d.Clock = wallClock{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.NewID == nil {
		d.NewID = func() string { return uuid.Must(uuid.NewRandom()).String() }
	}
	return d
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
