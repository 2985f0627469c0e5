package cradle

import "time"

// Event is a debounced change of the card-present input.
type Event struct {
	Present bool
	At      time.Time
}

// Status is what the cradle's status lights show.
type Status int

// Status light states.
const (
	StatusReady     Status = iota // idle, waiting for a learner
	StatusBusy                    // a session is under way
	StatusAttention               // staff needed: fault, card left behind
)

func (s Status) String() string {
	switch s {
	case StatusReady:
		return "ready"
	case StatusBusy:
		return "busy"
	case StatusAttention:
		return "attention"
	}
	return "unknown"
}

// Cradle is an ID-card cradle.
type Cradle interface {
	// Present reports whether a card is in the cradle now (debounced).
	Present() bool
	// Events delivers presence changes. There is one stream per cradle; a
	// consumer that falls behind loses intermediate edges but Present()
	// always tells the current state.
	Events() <-chan Event
	// SetLight switches the illumination light.
	SetLight(on bool) error
	// Light reports whether the light is on.
	Light() bool
	// SetStatus sets the status lights.
	SetStatus(Status) error
	// Close turns every output off and releases the hardware.
	Close() error
}
