package whep

import (
	"sync"
	"time"
)

// keyframes decides when the shared encoder forces a keyframe. A viewer
// whose connection just came up gets one at the next frame: it has nothing
// to decode until then. Picture-loss requests (PLI, FIR) are honoured at
// most once per minGap: with several viewers on a lossy network they would
// otherwise turn every frame into a keyframe, several times the bitrate.
// Joins need no such limit: they are bounded by the viewer limits, and one
// keyframe serves everyone who joined before it.
type keyframes struct {
	minGap time.Duration
	now    func() time.Time

	mu     sync.Mutex
	join   bool
	loss   bool
	last   time.Time
	forced uint64
	lost   uint64 // PLI/FIR received
}

func newKeyframes(minGap time.Duration, now func() time.Time) *keyframes {
	return &keyframes{minGap: minGap, now: now}
}

// joined notes a viewer whose media path just opened.
func (k *keyframes) joined() {
	k.mu.Lock()
	k.join = true
	k.mu.Unlock()
}

// pictureLost notes a viewer's PLI or FIR.
func (k *keyframes) pictureLost() {
	k.mu.Lock()
	k.loss = true
	k.lost++
	k.mu.Unlock()
}

// take reports whether the next frame must be a keyframe, and if so
// counts the requests until now as served.
func (k *keyframes) take() bool {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.join && !(k.loss && now.Sub(k.last) >= k.minGap) {
		return false
	}
	k.join, k.loss = false, false
	k.last = now
	k.forced++
	return true
}

func (k *keyframes) counts() (forced, lost uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.forced, k.lost
}
