package capture

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestHub_PublishAssignsSeqAndLatest(t *testing.T) {
	h := NewHub()
	if f := h.Latest(); f != nil {
		t.Fatalf("Latest() before Publish = seq %d, want nil", f.Seq)
	}
	h.Publish(nil) // ignored
	for want := uint64(1); want <= 3; want++ {
		f := solidFrame(8, 8, 0, time.Time{})
		h.Publish(f)
		if f.Seq != want {
			t.Errorf("published frame Seq = %d, want %d", f.Seq, want)
		}
		if got := h.Latest(); got != f {
			t.Errorf("Latest() = seq %d, want the frame just published (seq %d)", got.Seq, want)
		}
	}
}

func TestHub_Next(t *testing.T) {
	h := NewHub()
	for range 3 {
		h.Publish(solidFrame(8, 8, 0, time.Time{}))
	}
	tests := []struct {
		after uint64
		want  uint64
	}{
		{0, 3}, // the current frame
		{1, 3}, // frames 2 is skipped: only the newest counts
		{2, 3},
	}
	for _, tt := range tests {
		f, err := h.Next(context.Background(), tt.after)
		if err != nil || f.Seq != tt.want {
			t.Errorf("Next(after=%d) = %v, %v; want seq %d", tt.after, seqOf(f), err, tt.want)
		}
	}

	// Waiting for a frame that does not exist yet.
	got := make(chan *Frame)
	go func() {
		f, _ := h.Next(context.Background(), 3)
		got <- f
	}()
	h.Publish(solidFrame(8, 8, 0, time.Time{}))
	if f := <-got; f == nil || f.Seq != 4 {
		t.Errorf("Next(after=3) = %v, want seq 4", seqOf(f))
	}
}

func TestHub_Next_HonoursContext(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		cancel  bool // cancel from another goroutine while Next waits
		wantErr error
	}{
		{"cancelled before", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, false, context.Canceled},
		{"cancelled while waiting", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, true, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Millisecond)
		}, false, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHub()
			h.Publish(solidFrame(8, 8, 0, time.Time{}))
			ctx, cancel := tt.ctx()
			defer cancel()
			if tt.cancel {
				go cancel()
			}
			f, err := h.Next(ctx, 1)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Next = %v, %v; want error %v", seqOf(f), err, tt.wantErr)
			}
		})
	}
}

// Many consumers: some keep up, one takes a frame and never asks again, one
// never asks at all. The publisher must get through every frame without
// waiting for any of them, and a consumer that asks afterwards must see the
// newest frame, not an old one.
func TestHub_SlowConsumersDoNotStallPublisher(t *testing.T) {
	const frames = 2000
	const readers = 8
	h := NewHub()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	stuck := make(chan struct{})
	go func() {
		_, _ = h.Next(ctx, 0) // takes one frame, then never reads again
		close(stuck)
		<-ctx.Done()
	}()

	var wg sync.WaitGroup
	lastSeen := make([]uint64, readers)
	for i := range readers {
		wg.Go(func() {
			var after uint64
			for after < frames {
				f, err := h.Next(ctx, after)
				if err != nil {
					t.Errorf("reader %d: %v", i, err)
					return
				}
				if f.Seq <= after {
					t.Errorf("reader %d: got seq %d after %d, want increasing", i, f.Seq, after)
					return
				}
				after = f.Seq
			}
			lastSeen[i] = after
		})
	}

	h.Publish(solidFrame(8, 8, 0, time.Time{}))
	<-stuck
	for range frames - 1 {
		h.Publish(solidFrame(8, 8, 0, time.Time{}))
	}
	wg.Wait()
	for i, got := range lastSeen {
		if got != frames {
			t.Errorf("reader %d last saw seq %d, want %d", i, got, frames)
		}
	}
	f, err := h.Next(ctx, 0)
	if err != nil || f.Seq != frames {
		t.Errorf("late consumer Next(0) = %v, %v; want the newest, seq %d", seqOf(f), err, frames)
	}
}

func TestHub_StillIsNeverOlderThanTheCall(t *testing.T) {
	h := NewHub()
	h.SetSource("testcam")
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	old := solidFrame(32, 24, 10, t0)
	h.Publish(old)

	type result struct {
		s   Still
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := h.Still(context.Background())
		done <- result{s, err}
	}()
	// Keep the camera running until the still is taken; the still must be
	// one of these frames, never the one published before the call.
	var res result
	for i := 1; ; i++ {
		h.Publish(solidFrame(32, 24, 200, t0.Add(time.Duration(i)*time.Second)))
		select {
		case res = <-done:
		default:
			runtime.Gosched()
			continue
		}
		break
	}
	if res.err != nil {
		t.Fatalf("Still: %v", res.err)
	}
	if !res.s.Time.After(t0) {
		t.Errorf("still time = %v, want after the frame before the call (%v)", res.s.Time, t0)
	}
	if res.s.Width != 32 || res.s.Height != 24 || res.s.Source != "testcam" {
		t.Errorf("still = %dx%d from %q, want 32x24 from %q", res.s.Width, res.s.Height, res.s.Source, "testcam")
	}
	img, luma := decodeJPEG(t, res.s.JPEG)
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 24 {
		t.Errorf("still decodes at %dx%d, want 32x24", b.Dx(), b.Dy())
	}
	if luma < 150 {
		t.Errorf("still mean luma = %.0f, want a new (bright) frame, not the old dark one", luma)
	}
}

func TestHub_StillHonoursContext(t *testing.T) {
	h := NewHub()
	h.Publish(solidFrame(8, 8, 0, time.Time{}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if s, err := h.Still(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Still(cancelled) = %d bytes, %v; want context.Canceled", len(s.JPEG), err)
	}
}

func TestHub_Stats(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	h := NewHub()
	h.now = func() time.Time { return now }

	if s := h.Stats(); s.Published != 0 || s.FPS != 0 || !s.LastPublish.IsZero() {
		t.Errorf("empty Stats = %+v, want zero", s)
	}
	for range 40 {
		h.Publish(solidFrame(8, 8, 0, time.Time{}))
		now = now.Add(100 * time.Millisecond)
	}
	last := now.Add(-100 * time.Millisecond)
	tests := []struct {
		name             string
		now              time.Time
		wantMin, wantMax float64
	}{
		{"steady 10 fps", last.Add(50 * time.Millisecond), 9.9, 10.1},
		{"one late frame", last.Add(150 * time.Millisecond), 9.9, 10.1},
		{"stalled 5s", last.Add(5 * time.Second), 0, 3.5},
		{"stalled 1m", last.Add(time.Minute), 0, 0.3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = tt.now
			s := h.Stats()
			if s.Published != 40 {
				t.Errorf("Published = %d, want 40", s.Published)
			}
			if !s.LastPublish.Equal(last) {
				t.Errorf("LastPublish = %v, want %v", s.LastPublish, last)
			}
			if s.FPS < tt.wantMin || s.FPS > tt.wantMax {
				t.Errorf("FPS = %.2f, want in [%.1f, %.1f]", s.FPS, tt.wantMin, tt.wantMax)
			}
		})
	}
}

func seqOf(f *Frame) any {
	if f == nil {
		return "nil"
	}
	return f.Seq
}

func benchmarkHubPublish(b *testing.B, consumers int) {
	h := NewHub()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range consumers {
		wg.Go(func() {
			var after uint64
			for {
				f, err := h.Next(ctx, after)
				if err != nil {
					return
				}
				after = f.Seq
			}
		})
	}
	frames := make([]*Frame, b.N)
	for i := range frames {
		frames[i] = &Frame{Width: 640, Height: 480}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		h.Publish(frames[i])
	}
	b.StopTimer()
	cancel()
	wg.Wait()
}

func BenchmarkHubPublish_1Consumer(b *testing.B)   { benchmarkHubPublish(b, 1) }
func BenchmarkHubPublish_16Consumers(b *testing.B) { benchmarkHubPublish(b, 16) }
