package whep

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/idkiosk/idkiosk/capture/encode"
)

// Source is the encoded stream: *encode.Live. Run encodes until ctx ends,
// asking keyframe before each frame and handing every packet to emit.
type Source interface {
	Run(ctx context.Context, keyframe func() bool, emit func(encode.Packet)) error
}

// restartDelay is the first wait before running a failed source again
// while viewers remain (a busy device, a camera that came back at another
// size); it doubles on each failure in a row up to maxRestartDelay.
const (
	restartDelay    = time.Second
	maxRestartDelay = 30 * time.Second
)

// broadcast runs the source while anyone watches and writes its packets
// to the one track every peer connection shares.
type broadcast struct {
	src   Source
	track *webrtc.TrackLocalStaticSample
	kf    *keyframes
	log   *slog.Logger

	mu      sync.Mutex // held across start and stop, so they never overlap
	viewers int
	cancel  context.CancelFunc
	done    chan struct{}

	statsMu  sync.Mutex
	runs     uint64
	frames   uint64
	bytes    uint64
	encoding bool
}

// add counts a viewer in and starts encoding for the first.
func (b *broadcast) add() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.viewers++
	if b.viewers == 1 {
		ctx, cancel := context.WithCancel(context.Background())
		b.cancel, b.done = cancel, make(chan struct{})
		b.statsMu.Lock()
		b.runs++
		b.encoding = true
		b.statsMu.Unlock()
		go b.run(ctx, b.done)
	}
}

// remove counts a viewer out; after the last it stops the source and
// waits until the encoder is closed.
func (b *broadcast) remove() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.viewers == 0 {
		return
	}
	b.viewers--
	if b.viewers == 0 {
		b.cancel()
		<-b.done
		b.statsMu.Lock()
		b.encoding = false
		b.statsMu.Unlock()
	}
}

func (b *broadcast) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	wait := restartDelay
	for {
		began := time.Now()
		err := b.src.Run(ctx, b.kf.take, b.write)
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) > maxRestartDelay {
			wait = restartDelay // it ran a good while: a new failure, not the same one
		}
		b.log.Error("live preview encoder stopped; restarting", "err", err, "in", wait)
		t := time.NewTimer(wait)
		wait = min(2*wait, maxRestartDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (b *broadcast) write(p encode.Packet) {
	// An error names peer connections that failed to take the packet;
	// their sessions are reaped by their own state changes.
	_ = b.track.WriteSample(media.Sample{Data: p.Data, Duration: p.Duration, Timestamp: p.Time})
	b.statsMu.Lock()
	b.frames++
	b.bytes += uint64(len(p.Data))
	b.statsMu.Unlock()
}

func (b *broadcast) fill(s *Stats) {
	b.statsMu.Lock()
	defer b.statsMu.Unlock()
	s.EncoderRuns, s.Frames, s.Bytes, s.Encoding = b.runs, b.frames, b.bytes, b.encoding
}
