package encode

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
)

// fakeEncoder records what Live asks of it.
type fakeEncoder struct {
	w, h   int
	seen   chan Input
	err    error // returned by every Encode
	mu     sync.Mutex
	closed bool
}

func (f *fakeEncoder) Codec() Codec { return CodecVP8 }

func (f *fakeEncoder) Encode(in Input) ([]Packet, error) {
	f.seen <- in
	return []Packet{{Data: []byte{byte(f.w)}, Keyframe: in.Keyframe, Time: in.Time}}, f.err
}

func (f *fakeEncoder) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeEncoder) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// liveRig runs a Live on a hub and hands frames in one at a time.
type liveRig struct {
	t       *testing.T
	hub     *capture.Hub
	seen    chan Input
	packets chan Packet
	mu      sync.Mutex
	opened  []*fakeEncoder
	done    chan error
	cancel  context.CancelFunc
	t0      time.Time
}

func newLiveRig(t *testing.T, maxFPS float64, keyframe func() bool, encErr error) *liveRig {
	r := &liveRig{t: t, hub: capture.NewHub(), seen: make(chan Input, 100), packets: make(chan Packet, 100),
		done: make(chan error, 1), t0: time.Now()}
	l := &Live{Hub: r.hub, Codec: CodecVP8, MaxFPS: maxFPS, Open: func(w, h int) (Encoder, error) {
		if w == 13 {
			return nil, errors.New("cannot open 13 wide")
		}
		e := &fakeEncoder{w: w, h: h, seen: r.seen, err: encErr}
		r.mu.Lock()
		r.opened = append(r.opened, e)
		r.mu.Unlock()
		return e, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	t.Cleanup(cancel)
	if keyframe == nil {
		keyframe = func() bool { return false }
	}
	go func() { r.done <- l.Run(ctx, keyframe, func(p Packet) { r.packets <- p }) }()
	return r
}

// publish puts a w x h frame captured at t0+at on the hub.
func (r *liveRig) publish(w, h int, at time.Duration) {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	r.hub.Publish(capture.NewImageFrame(img, r.t0.Add(at)))
}

// encoded waits for the encoder to be handed the next frame.
func (r *liveRig) encoded() Input {
	r.t.Helper()
	select {
	case in := <-r.seen:
		return in
	case err := <-r.done:
		r.t.Fatalf("Run returned %v while a frame was expected", err)
	case <-time.After(10 * time.Second):
		r.t.Fatal("no frame reached the encoder")
	}
	return Input{}
}

func (r *liveRig) encoders() []*fakeEncoder {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*fakeEncoder(nil), r.opened...)
}

func (r *liveRig) stop() error {
	r.t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		return err
	case <-time.After(10 * time.Second):
		r.t.Fatal("Run did not return after cancel")
	}
	return nil
}

func TestLive_OpensAtFrameSizeReopensOnChangeClosesOnStop(t *testing.T) {
	r := newLiveRig(t, 0, nil, nil)
	r.publish(64, 48, 0)
	r.encoded()
	r.publish(64, 48, ms(66))
	r.encoded()
	r.publish(32, 24, ms(133)) // the camera came back at another size
	r.encoded()
	if err := r.stop(); err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	encs := r.encoders()
	var got []string
	for _, e := range encs {
		got = append(got, fmt.Sprintf("%dx%d closed=%v", e.w, e.h, e.isClosed()))
	}
	want := []string{"64x48 closed=true", "32x24 closed=true"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("encoders %v, want %v", got, want)
	}
	for i := range 3 {
		p := <-r.packets
		if want := r.t0.Add([]time.Duration{0, ms(66), ms(133)}[i]); !p.Time.Equal(want) {
			t.Errorf("packet %d Time = %v, want %v", i, p.Time, want)
		}
	}
}

func TestLive_KeyframeRequests(t *testing.T) {
	var mu sync.Mutex
	want := false
	r := newLiveRig(t, 0, func() bool {
		mu.Lock()
		defer mu.Unlock()
		w := want
		want = false
		return w
	}, nil)
	ask := func() { mu.Lock(); want = true; mu.Unlock() }
	ask() // a viewer before the first frame: the new encoder's first frame serves it
	var got []bool
	for i := range 4 {
		if i == 2 {
			ask()
		}
		r.publish(64, 48, ms(66*i))
		got = append(got, r.encoded().Keyframe)
	}
	if fmt.Sprint(got) != "[false false true false]" {
		t.Errorf("Keyframe per frame = %v, want a forced one only at frame 2", got)
	}
}

func TestLive_MaxFPSSkipsFrames(t *testing.T) {
	r := newLiveRig(t, 15, nil, nil)
	var got []time.Duration
	for i := range 6 {
		r.publish(64, 48, ms(33*i)) // a 30 fps camera
		if i%2 == 0 {
			got = append(got, r.encoded().Time.Sub(r.t0))
		} else {
			// The skipped frame must not reach the encoder: the next
			// published one is what it sees next.
			continue
		}
	}
	if want := []time.Duration{0, ms(66), ms(132)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("encoded frames at %v, want %v", got, want)
	}
	select {
	case in := <-r.seen:
		t.Errorf("an extra frame at %v reached the encoder", in.Time.Sub(r.t0))
	default:
	}
}

func TestLive_Errors(t *testing.T) {
	r := newLiveRig(t, 0, nil, nil)
	r.publish(13, 48, 0)
	select {
	case err := <-r.done:
		if err == nil {
			t.Error("encoder that cannot open: Run returned nil")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run kept going after the encoder failed to open")
	}

	r = newLiveRig(t, 0, nil, fmt.Errorf("wrapped: %w", ErrNoKeyframe))
	r.publish(64, 48, 0)
	r.encoded()
	r.publish(64, 48, ms(66))
	r.encoded() // still running: a refused keyframe is not fatal

	r = newLiveRig(t, 0, nil, errors.New("device gone"))
	r.publish(64, 48, 0)
	r.encoded()
	select {
	case err := <-r.done:
		if err == nil || err.Error() != "device gone" {
			t.Errorf("Run = %v, want the encoder's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run kept going after the encoder failed")
	}
}
