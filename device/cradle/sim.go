package cradle

import (
	"errors"
	"sync"
	"time"
)

// Sim is a simulated cradle. Place and Remove stand in for a learner's hand;
// the demo control page and tests call them.
type Sim struct {
	mu      sync.Mutex
	present bool
	light   bool
	status  Status
	closed  bool
	events  chan Event
	now     func() time.Time
}

var _ Cradle = (*Sim)(nil)

// NewSim returns an empty simulated cradle.
func NewSim() *Sim {
	// A small buffer like a real driver's edge queue; when it is full the
	// oldest edge is dropped, never the newest.
	return &Sim{events: make(chan Event, 8), now: time.Now}
}

// ErrClosed is returned by a closed cradle.
var ErrClosed = errors.New("cradle closed")

// Place puts a card in the cradle.
func (s *Sim) Place() { s.set(true) }

// Remove takes the card out.
func (s *Sim) Remove() { s.set(false) }

func (s *Sim) set(present bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.present == present {
		return
	}
	s.present = present
	ev := Event{Present: present, At: s.now()}
	for {
		select {
		case s.events <- ev:
			return
		default:
			select {
			case <-s.events:
			default:
			}
		}
	}
}

// Present implements Cradle.
func (s *Sim) Present() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.present
}

// Events implements Cradle.
func (s *Sim) Events() <-chan Event { return s.events }

// SetLight implements Cradle.
func (s *Sim) SetLight(on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.light = on
	return nil
}

// Light implements Cradle.
func (s *Sim) Light() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.light
}

// SetStatus implements Cradle.
func (s *Sim) SetStatus(st Status) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.status = st
	return nil
}

// Status returns what the status lights show.
func (s *Sim) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Close implements Cradle. The event channel is closed so consumers stop.
func (s *Sim) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed, s.light = true, false
	close(s.events)
	return nil
}
