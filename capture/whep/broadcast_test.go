package whep

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/idkiosk/idkiosk/capture/encode"
)

// fakeSource emits a packet per tick until its context ends.
type fakeSource struct {
	running atomic.Int32
	runs    atomic.Int32
}

func (f *fakeSource) Run(ctx context.Context, keyframe func() bool, emit func(encode.Packet)) error {
	f.running.Add(1)
	f.runs.Add(1)
	defer f.running.Add(-1)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			emit(encode.Packet{Data: []byte{1, 2, 3}, Keyframe: keyframe(), Duration: 5 * time.Millisecond})
		}
	}
}

// The source runs from the first viewer to the last, once, and remove
// returns only when it has stopped.
func TestBroadcast_RunsWhileAnyoneWatches(t *testing.T) {
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: "video/VP8", ClockRate: 90000}, "v", "s")
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{}
	b := &broadcast{src: src, track: track, kf: newKeyframes(time.Second, time.Now), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if src.running.Load() != 0 {
		t.Fatal("source running with no viewer")
	}
	b.add()
	b.add()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var st Stats
		b.fill(&st)
		if st.Frames >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no frames written")
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.remove()
	if src.running.Load() != 1 {
		t.Errorf("source stopped with one viewer left")
	}
	b.remove()
	var st Stats
	b.fill(&st)
	if src.running.Load() != 0 || st.Encoding {
		t.Errorf("after the last viewer: running %d, encoding %v; want stopped", src.running.Load(), st.Encoding)
	}
	b.remove() // more removes than adds: ignored
	if runs := src.runs.Load(); runs != 1 || st.EncoderRuns != 1 {
		t.Errorf("source ran %d times (stats %d) for one busy period, want 1", runs, st.EncoderRuns)
	}
}
