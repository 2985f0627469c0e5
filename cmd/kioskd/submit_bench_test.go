package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/simcam"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// stillCamera hands out one real 640x480 camera frame as every photo.
type stillCamera struct{ s capture.Still }

func (c stillCamera) Still(ctx context.Context) (capture.Still, error) {
	s := c.s
	s.JPEG = slices.Clone(s.JPEG)
	s.Time = time.Now()
	return s, nil
}

func simStill(b *testing.B, scene simcam.Scene) capture.Still {
	cam := simcam.New(simcam.Options{Width: 640, Height: 480})
	cam.SetScene(scene)
	ctx, cancel := context.WithCancel(context.Background())
	var still capture.Still
	cam.Stream(ctx, func(f *capture.Frame) {
		j, err := f.JPEG()
		if err != nil {
			b.Fatal(err)
		}
		still = capture.Still{JPEG: slices.Clone(j), Width: f.Width, Height: f.Height, Source: "sim"}
		cancel()
	})
	return still
}

// recordingSaver remembers the last sealed envelope so the benchmark can
// write the very same bytes with plain bbolt.
type recordingSaver struct {
	sealingSaver
	last []byte
}

func (s *recordingSaver) Save(ctx context.Context, p *api.Profile) error {
	sealed, err := envelope.Seal(s.key, p)
	if err != nil {
		return err
	}
	s.last = sealed
	return s.box.Put(context.WithoutCancel(ctx), outbox.NewItem{ID: p.ID, Created: p.Created, Sealed: sealed})
}

// BenchmarkSubmitToDurable measures what the learner waits for after
// tapping "send": from the submit action to the session showing the
// receipt, which it does only after the profile is sealed and the bbolt
// commit is fsync'd. In the same loop, on the same disk, it times a raw
// fsync'd bbolt put of the same sealed bytes, so the ratio says what
// sealing and bookkeeping cost on top of the disk.
func BenchmarkSubmitToDurable(b *testing.B) {
	dir := b.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	priv, err := envelope.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	box, err := outbox.Open(filepath.Join(dir, "outbox.db"), outbox.Options{MaxItems: 1 << 20, MaxBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer box.Close()
	raw, err := bbolt.Open(filepath.Join(dir, "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()

	face, card := simStill(b, simcam.SceneFace), simStill(b, simcam.SceneIDFront)
	saver := &recordingSaver{sealingSaver: sealingSaver{key: priv.Public(), box: box}}
	cam := &switchCamera{stills: []capture.Still{face, card}}
	sess := session.New(session.Config{DeviceID: "bench-kiosk"}, session.Deps{
		Camera: cam, Saver: saver, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sess.Run(ctx)
	states, stop := sess.Subscribe()
	defer stop()

	var submit, put []time.Duration
	var sealedBytes int
	for b.Loop() {
		b.StopTimer()
		walkToReview(b, sess, states, cam)
		b.StartTimer()

		t0 := time.Now()
		if _, err := sess.Do(ctx, session.Action{Type: session.ActSubmit}); err != nil {
			b.Fatal(err)
		}
		waitStep(b, states, session.StepReceipt)
		submit = append(submit, time.Since(t0))

		sealedBytes = len(saver.last)
		key := []byte(time.Now().Format(time.RFC3339Nano))
		t1 := time.Now()
		err := raw.Update(func(tx *bbolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("q"))
			if err != nil {
				return err
			}
			return bk.Put(key, saver.last)
		})
		if err != nil {
			b.Fatal(err)
		}
		put = append(put, time.Since(t1))

		b.StopTimer()
		if _, err := sess.Do(ctx, session.Action{Type: session.ActFinish}); err != nil {
			b.Fatal(err)
		}
		waitStep(b, states, session.StepWelcome)
		b.StartTimer()
	}
	b.StopTimer()
	sp50, sp99 := percentiles(submit)
	rp50, rp99 := percentiles(put)
	b.ReportMetric(ms(sp50), "submit-p50-ms")
	b.ReportMetric(ms(sp99), "submit-p99-ms")
	b.ReportMetric(ms(rp50), "rawput-p50-ms")
	b.ReportMetric(ms(rp99), "rawput-p99-ms")
	b.ReportMetric(float64(sp50)/float64(rp50), "ratio-p50")
	b.ReportMetric(float64(sp99)/float64(rp99), "ratio-p99")
	b.ReportMetric(float64(sealedBytes)/1024, "sealed-KiB")
}

// switchCamera returns the face frame on the face step and the card frame
// on the ID step.
type switchCamera struct {
	stills []capture.Still
	i      int
}

func (c *switchCamera) Still(ctx context.Context) (capture.Still, error) {
	s := c.stills[c.i%len(c.stills)]
	c.i++
	s.JPEG = slices.Clone(s.JPEG)
	s.Time = time.Now()
	return s, nil
}

func walkToReview(b *testing.B, s *session.Session, states <-chan session.State, cam *switchCamera) {
	cam.i = 0
	for _, a := range []session.Action{
		{Type: session.ActStart},
		{Type: session.ActConsentAccept},
		{Type: session.ActEmailSubmit, Email: "bench@example.org"},
		{Type: session.ActNameSubmit, Name: "Bench Learner"},
		{Type: session.ActIDTypeSubmit, IDType: api.IDPassport},
	} {
		if _, err := s.Do(context.Background(), a); err != nil {
			b.Fatalf("%s: %v", a.Type, err)
		}
	}
	for _, step := range []session.Step{session.StepFace, session.StepIDPhoto} {
		waitStep(b, states, step)
		if _, err := s.Do(context.Background(), session.Action{Type: session.ActCapture}); err != nil {
			b.Fatalf("capture on %s: %v", step, err)
		}
		waitFor(b, states, func(st session.State) bool { return st.Pending != nil && !st.Capturing })
		if _, err := s.Do(context.Background(), session.Action{Type: session.ActAcceptPhoto}); err != nil {
			b.Fatalf("accept on %s: %v", step, err)
		}
	}
	waitStep(b, states, session.StepReview)
}

func waitStep(b *testing.B, states <-chan session.State, step session.Step) {
	waitFor(b, states, func(st session.State) bool { return st.Step == step })
}

func waitFor(b *testing.B, states <-chan session.State, cond func(session.State) bool) {
	timeout := time.After(10 * time.Second)
	for {
		select {
		case st := <-states:
			if cond(st) {
				return
			}
		case <-timeout:
			b.Fatal("session did not reach the expected state")
		}
	}
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)*50/100], s[min(len(s)-1, len(s)*99/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
