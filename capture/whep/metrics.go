package whep

import (
	"maps"
	"sync"
)

// Stats are the server's counters, for the admin page, health and
// metrics. Token names key the session counters so a fleet view can tell
// who watched; token secrets never appear anywhere.
//
// They are plain counters, not Prometheus collectors: client_golang's
// dependencies are not in go.sum yet (see the report for issue 6); the
// metrics endpoint of issue 8 can export these as they are.
type Stats struct {
	Viewers        int               // sessions open now
	Started        map[string]uint64 // sessions started, by token name
	Ended          map[string]uint64 // sessions ended, by reason
	WatchedSeconds map[string]float64
	Refused        map[string]uint64 // authenticated offers refused, by reason
	AuthFailures   uint64            // requests without a valid token
	EncoderRuns    uint64            // times the encoder was started (one per busy period)
	Encoding       bool              // the encoder is running now
	Frames         uint64            // encoded frames written to the shared track
	Bytes          uint64            // encoded bytes, once whatever the viewer count
	Keyframes      uint64            // keyframes forced for joins and picture loss
	PictureLoss    uint64            // PLI and FIR received
}

// counters is the mutable side of Stats.
type counters struct {
	mu      sync.Mutex
	started map[string]uint64
	ended   map[string]uint64
	watched map[string]float64
	refused map[string]uint64
	authBad uint64
}

func newCounters() *counters {
	return &counters{started: map[string]uint64{}, ended: map[string]uint64{},
		watched: map[string]float64{}, refused: map[string]uint64{}}
}

func (c *counters) start(token string) {
	c.mu.Lock()
	c.started[token]++
	c.mu.Unlock()
}

func (c *counters) end(token, reason string, seconds float64) {
	c.mu.Lock()
	c.ended[reason]++
	c.watched[token] += seconds
	c.mu.Unlock()
}

func (c *counters) refuse(reason string) {
	c.mu.Lock()
	c.refused[reason]++
	c.mu.Unlock()
}

func (c *counters) authFailed() {
	c.mu.Lock()
	c.authBad++
	c.mu.Unlock()
}

func (c *counters) fill(s *Stats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.Started = maps.Clone(c.started)
	s.Ended = maps.Clone(c.ended)
	s.WatchedSeconds = maps.Clone(c.watched)
	s.Refused = maps.Clone(c.refused)
	s.AuthFailures = c.authBad
}
