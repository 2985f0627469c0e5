package quality

import (
	"math"
	"slices"
	"time"
)

// Tracker follows the live preview of one photo step. It adds the one
// measure a single picture cannot give, stillness, to each assessment, and
// says when every check has held for a stable window: the moment to
// capture on the learner's behalf. A Tracker is not safe for concurrent
// use; the zero Tracker captures after no wait.
type Tracker struct {
	// Window is how long every check must hold before Stable.
	Window time.Duration
	// StillnessMax is the most motion between consecutive frames.
	StillnessMax float64

	prev   *Assessment
	prevAt time.Time
	since  time.Time // start of the current run of ready frames; zero if none
}

// motionInterval is the frame interval stillness is expressed for: motion
// between frames further apart is scaled down to this, so a slow core that
// judges fewer frames (or a loaded test machine) does not read a gentle
// sway as movement. Closer frames are not scaled up: that would amplify
// sensor noise.
const motionInterval = 100 * time.Millisecond

// NewTracker returns a tracker with a's stillness limit.
func (a *Analyzer) NewTracker(window time.Duration) *Tracker {
	return &Tracker{Window: window, StillnessMax: a.th.StillnessMax}
}

// Live is the tracker's verdict on the newest frame.
type Live struct {
	// Key is the guidance for the first failed check, "" if none failed.
	Key string
	// Ready: every check passed on this frame, stillness included.
	Ready bool
	// Stable: Ready on every frame for at least Window.
	Stable bool
}

// Observe judges as, a frame captured at at, against the frame before it;
// stillness is its motion per 100 ms.
// It adds a stillness check to as (before sharpness: movement is the usual
// cause of blur, so "hold still" is the better advice). The first frame,
// or the first after the target or frame size changed, has nothing to
// compare with: it is never Ready.
func (t *Tracker) Observe(as *Assessment, at time.Time) Live {
	prev, prevAt := t.prev, t.prevAt
	t.prev, t.prevAt = as, at
	if prev != nil && prev.Target != as.Target {
		prev = nil
	}
	still := math.NaN()
	if prev != nil {
		still = motion(prev.thumb, as.thumb)
		if dt := at.Sub(prevAt); dt > motionInterval {
			still *= float64(motionInterval) / float64(dt)
		}
	}
	as.Measures.Stillness = still
	if !math.IsNaN(still) {
		c := Check{Name: "stillness", Value: still, Limit: t.StillnessMax, Max: true, Pass: still <= t.StillnessMax, Key: KeyHoldStill}
		i := slices.IndexFunc(as.Checks, func(c Check) bool { return c.Name == "sharpness" })
		if i < 0 {
			i = len(as.Checks)
		}
		as.Checks = slices.Insert(as.Checks, i, c)
	}
	live := Live{Key: as.Key()}
	live.Ready = live.Key == "" && !math.IsNaN(still)
	if !live.Ready {
		t.since = time.Time{}
		return live
	}
	if t.since.IsZero() {
		t.since = at
	}
	live.Stable = at.Sub(t.since) >= t.Window
	return live
}

// Reset forgets the frames seen so far, as when the learner starts over.
func (t *Tracker) Reset() {
	t.prev, t.prevAt = nil, time.Time{}
	t.since = time.Time{}
}
