package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/simcam"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/upload"
)

// logRecords keeps the messages logged at Info and above.
type logRecords struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelInfo {
		l.mu.Lock()
		l.msgs = append(l.msgs, r.Message)
		l.mu.Unlock()
	}
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

func (l *logRecords) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.msgs)
}

// TestHeartbeater_OutageLoggedOnceAndRecovery: three failed sends and a
// good one. The outage is one warning (an offline kiosk is normal), the
// recovery one line, and LastOK moves only on success.
func TestHeartbeater_OutageLoggedOnceAndRecovery(t *testing.T) {
	var logs logRecords
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	answers := []error{errors.New("dial: connection refused"), errors.New("dial: connection refused"), errors.New("dial: connection refused"), nil}
	var sent []api.Heartbeat
	h := &heartbeater{
		send: func(_ context.Context, hb api.Heartbeat) error {
			sent = append(sent, hb)
			err := answers[len(sent)-1]
			if len(sent) == len(answers) {
				defer cancel()
			}
			return err
		},
		gather:   func(context.Context) api.Heartbeat { return api.Heartbeat{Version: "test", QueueDepth: len(sent)} },
		interval: time.Millisecond,
		log:      slog.New(&logs),
	}
	if !h.LastOK().IsZero() {
		t.Fatalf("LastOK before any heartbeat: %v", h.LastOK())
	}
	if err := h.run(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sent) != len(answers) {
		t.Fatalf("%d heartbeats sent, want %d", len(sent), len(answers))
	}
	// The last answer cancels the context, so run returns before it
	// records the success: what it logged for the outage is what counts.
	want := []string{"heartbeat not delivered; retrying every interval"}
	if got := logs.list(); !slices.Equal(got, want) {
		t.Errorf("logged %q, want %q", got, want)
	}
}

func TestHeartbeater_RecordsSuccess(t *testing.T) {
	var logs logRecords
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	h := &heartbeater{
		send: func(context.Context, api.Heartbeat) error {
			n++
			switch n {
			case 1:
				return errors.New("503")
			case 3:
				cancel()
			}
			return nil
		},
		gather:   func(context.Context) api.Heartbeat { return api.Heartbeat{} },
		interval: time.Millisecond,
		log:      slog.New(&logs),
	}
	before := time.Now()
	h.run(ctx)
	if got := h.LastOK(); got.Before(before) {
		t.Errorf("LastOK %v, want after %v", got, before)
	}
	want := []string{"heartbeat not delivered; retrying every interval", "heartbeats delivered again"}
	if got := logs.list(); !slices.Equal(got, want) {
		t.Errorf("logged %q, want %q", got, want)
	}
}

// TestHeartbeater_HangingServiceDoesNotHoldTheNextBeat: a service that
// never answers gets each heartbeat for one interval at most, then the
// next one is sent.
func TestHeartbeater_HangingServiceDoesNotHoldTheNextBeat(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sends := make(chan error, 2)
	h := &heartbeater{
		send: func(sctx context.Context, _ api.Heartbeat) error {
			if len(sends) == 1 {
				cancel() // the second heartbeat was sent: enough
			}
			<-sctx.Done() // the service hangs
			sends <- sctx.Err()
			return sctx.Err()
		},
		gather:   func(context.Context) api.Heartbeat { return api.Heartbeat{} },
		interval: 20 * time.Millisecond,
		log:      slog.New(slog.DiscardHandler),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.run(ctx)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cancel() // let the goroutine go once the test has failed
		t.Fatal("heartbeats stuck behind a service that never answers: no deadline on a send")
	}
	if first := <-sends; !errors.Is(first, context.DeadlineExceeded) {
		t.Errorf("the first send ended with %v, want its own deadline", first)
	}
}

func TestHeartbeater_Jitter(t *testing.T) {
	for _, tt := range []struct {
		j    float64
		want time.Duration
	}{{0, 54 * time.Second}, {0.5, time.Minute}, {0.999999, 66 * time.Second}} {
		h := &heartbeater{interval: time.Minute, jitter: func() float64 { return tt.j }}
		if got := h.next(); got.Round(time.Second) != tt.want {
			t.Errorf("jitter %v: next %s, want %s", tt.j, got, tt.want)
		}
	}
}

// TestHeartbeatFrom_RealParts builds a heartbeat from a real outbox, a
// simulated camera's parts and a watchdog: what the fleet page will show.
func TestHeartbeatFrom_RealParts(t *testing.T) {
	cfg := config.Default()
	cfg.Device.ID, cfg.Device.DataDir = "kiosk-hb", filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(cfg.Device.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg.Admin.Listen = "10.0.0.5:8443"
	box, err := openQueue(&cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	log := slog.New(slog.DiscardHandler)
	hub := capture.NewHub()
	cam := newCamera(&cfg, simcam.New(simcam.Options{}), hub, log)
	camera, queue := &switchable{}, &switchable{}
	wd := &watchdog{checks: []healthCheck{{"capture_loop", camera.check}, {"outbox", queue.check}},
		notify: func(string) error { return nil }, log: log}
	wd.healthy.Store(true)
	wd.round(context.Background())
	o := &ops{watchdog: wd, adminURL: cfg.AdminURL(), parts: opsParts{
		hub: hub, camera: cam, box: box, uploader: &upload.Uploader{}, saver: sealingSaver{box: box}, hw: &hardware{},
	}}

	hb := o.heartbeatFrom(context.Background())
	if hb.Version != version || hb.Camera != "starting" || hb.Health != "degraded" || hb.QueueDepth != 0 ||
		hb.AdminURL != "https://10.0.0.5:8443/" || hb.Sent.IsZero() {
		t.Errorf("heartbeat %+v; want version %s, camera starting (never run), degraded, queue 0, admin URL https://10.0.0.5:8443/", hb, version)
	}
	for id, want := range map[string]string{"queue": "ok", "watchdog.capture_loop": "ok", "watchdog.outbox": "ok", "camera.streaming": "warn"} {
		if got := hb.Checks[id]; got != want {
			t.Errorf("check %s = %q, want %q (all: %v)", id, got, want, hb.Checks)
		}
	}

	camera.err = errors.New("capture loop made no progress for 20s")
	wd.round(context.Background())
	hb = o.heartbeatFrom(context.Background())
	if hb.Health != "failing" || hb.Checks["watchdog.capture_loop"] != "fail: capture loop made no progress for 20s" {
		t.Errorf("with the capture loop hung: health %q, check %q; want failing with the reason", hb.Health, hb.Checks["watchdog.capture_loop"])
	}
}
