package encode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/idkiosk/idkiosk/capture"
)

// Live encodes the newest frames of a hub, one encoder at a time. The WHEP
// server runs it while at least one viewer watches; each Run opens its own
// encoder at the first frame's size and closes it on the way out, so
// nobody watching costs nothing.
type Live struct {
	Hub *capture.Hub
	// Codec is what Open's encoders produce; the SDP answer needs it
	// before the first frame.
	Codec Codec
	// Open makes an encoder for frames of the given size.
	Open func(width, height int) (Encoder, error)
	// MaxFPS skips frames that come sooner than 1/MaxFPS after the last
	// encoded one; 0 encodes every frame the hub publishes.
	MaxFPS float64
	Log    *slog.Logger // nil: slog.Default()
}

// Run encodes until ctx ends (returning nil) or the encoder fails. Before
// every frame it asks keyframe whether a viewer needs one; every packet
// goes to emit, in order, from Run's goroutine.
func (l *Live) Run(ctx context.Context, keyframe func() bool, emit func(Packet)) error {
	if l.Hub == nil || l.Open == nil {
		return errors.New("live encoder: hub and open are required")
	}
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	var enc Encoder
	w, h := 0, 0
	defer func() {
		if enc != nil {
			enc.Close()
		}
	}()
	var minGap time.Duration
	if l.MaxFPS > 0 {
		// A little slack, so a camera at exactly MaxFPS is not halved by
		// jitter in its frame times.
		minGap = time.Duration(float64(time.Second) / l.MaxFPS * 0.8)
	}
	var seq uint64
	var last time.Time
	for {
		f, err := l.Hub.Next(ctx, seq)
		if err != nil {
			return nil // ctx ended
		}
		seq = f.Seq
		if minGap > 0 && !last.IsZero() && f.Time.Sub(last) < minGap {
			continue
		}
		last = f.Time
		if enc == nil || f.Width != w || f.Height != h {
			// A new encoder starts with a keyframe on its own.
			if enc != nil {
				log.Info("frame size changed; new encoder", "from", fmt.Sprintf("%dx%d", w, h), "to", fmt.Sprintf("%dx%d", f.Width, f.Height))
				enc.Close()
				enc = nil
			}
			if enc, err = l.Open(f.Width, f.Height); err != nil {
				return fmt.Errorf("open encoder %dx%d: %w", f.Width, f.Height, err)
			}
			w, h = f.Width, f.Height
			keyframe() // the first frame is one anyway: count the request as met
		}
		pkts, err := enc.Encode(Input{Frame: f, Time: f.Time, Keyframe: keyframe()})
		for _, p := range pkts {
			emit(p)
		}
		if errors.Is(err, ErrNoKeyframe) {
			log.Warn("encoder cannot force keyframes; new viewers wait for the periodic one", "err", err)
		} else if err != nil {
			return err
		}
	}
}
