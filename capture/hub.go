package capture

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// fpsWindow is how many recent publish times the fps estimate looks at:
// about a second at the usual 15-30 fps, so the number follows real changes
// without jumping on every late frame.
const fpsWindow = 16

// Hub fans the newest frame out to any number of consumers.
//
// There is no per-consumer queue: the hub keeps only the latest frame and a
// channel that is closed (and replaced) on every Publish. A consumer wakes,
// takes whatever is newest and goes back to waiting, so a slow consumer
// skips frames instead of building a backlog, and nothing a consumer does
// can block the publisher or the other consumers.
//
// The zero Hub is not usable; call NewHub.
type Hub struct {
	now func() time.Time // injected by tests

	mu      sync.Mutex
	latest  *Frame
	seq     uint64
	changed chan struct{}
	source  string
	times   [fpsWindow]time.Time // publish times, ring
	ntimes  int
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{now: time.Now, changed: make(chan struct{})}
}

// SetSource records the name of the camera feeding the hub; stills carry it.
func (h *Hub) SetSource(name string) {
	h.mu.Lock()
	h.source = name
	h.mu.Unlock()
}

// Source returns the name set by SetSource.
func (h *Hub) Source() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.source
}

// Publish makes f the newest frame and wakes every waiting consumer. It
// assigns f.Seq (1, 2, 3...), so a frame must be published once, to one hub,
// and not changed afterwards. Publish never blocks on consumers. A nil frame
// is ignored.
func (h *Hub) Publish(f *Frame) {
	if f == nil {
		return
	}
	t := h.now()
	h.mu.Lock()
	h.seq++
	f.Seq = h.seq
	h.latest = f
	h.times[int(h.seq-1)%fpsWindow] = t
	if h.ntimes < fpsWindow {
		h.ntimes++
	}
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
}

// Latest returns the newest frame, or nil before the first Publish.
func (h *Hub) Latest() *Frame {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.latest
}

// Next returns the newest frame once its Seq is greater than after, waiting
// for a Publish if needed. Frames between after and the newest are skipped.
// Pass 0 to get the current frame (or the first one). It returns ctx's error
// if ctx ends first.
func (h *Hub) Next(ctx context.Context, after uint64) (*Frame, error) {
	for {
		h.mu.Lock()
		f, changed := h.latest, h.changed
		h.mu.Unlock()
		if f != nil && f.Seq > after {
			return f, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Still waits for a frame captured after the call and returns it as a
// full-size JPEG. Waiting for a new frame (rather than taking the latest)
// means a photo never shows a moment before the learner pressed the button,
// nor a frozen frame from a camera that has stopped. Give ctx a deadline:
// a disconnected camera delivers nothing until it is back.
func (h *Hub) Still(ctx context.Context) (Still, error) {
	h.mu.Lock()
	after := h.seq
	h.mu.Unlock()
	f, err := h.Next(ctx, after)
	if err != nil {
		return Still{}, fmt.Errorf("still: wait for frame: %w", err)
	}
	data, err := f.JPEG()
	if err != nil {
		return Still{}, fmt.Errorf("still: %w", err)
	}
	return Still{
		JPEG:   data,
		Width:  f.Width,
		Height: f.Height,
		Time:   f.Time,
		Source: h.Source(),
	}, nil
}

// HubStats are counters for metrics and health checks.
type HubStats struct {
	Published   uint64    // frames published since NewHub
	FPS         float64   // recent publish rate; falls toward 0 while frames stop
	LastPublish time.Time // zero before the first frame
}

// Stats returns the hub's counters.
func (h *Hub) Stats() HubStats {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	s := HubStats{Published: h.seq}
	if h.ntimes == 0 {
		return s
	}
	last := h.times[int(h.seq-1)%fpsWindow]
	s.LastPublish = last
	if h.ntimes < 2 {
		return s
	}
	first := h.times[int(h.seq-uint64(h.ntimes))%fpsWindow]
	intervals := float64(h.ntimes - 1)
	span := last.Sub(first)
	// While frames stop, count the silence since the last one once it is
	// longer than two usual intervals, so the rate decays toward 0 instead
	// of reporting a healthy number for a dead camera.
	if gap := now.Sub(last); span > 0 && gap > 2*span/time.Duration(h.ntimes-1) {
		span = now.Sub(first)
	}
	if span > 0 {
		s.FPS = intervals / span.Seconds()
	}
	return s
}
