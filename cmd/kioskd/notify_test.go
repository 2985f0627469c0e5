package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// notes records what kioskd would have told systemd.
type notes struct {
	mu   sync.Mutex
	sent []string
}

func (n *notes) notify(state string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, state)
	return nil
}

// take returns what was sent since the last take, first lines only.
func (n *notes) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, s := range n.sent {
		out = append(out, firstLine(s))
	}
	n.sent = nil
	return out
}

// switchable is a check whose answer the test sets.
type switchable struct{ err error }

func (s *switchable) check(context.Context) error { return s.err }

// TestWatchdog_PingsOnlyWhileChecksPass walks the verdict through healthy,
// failing (twice) and healthy again, one round at a time.
func TestWatchdog_PingsOnlyWhileChecksPass(t *testing.T) {
	var n notes
	camera, queue := &switchable{}, &switchable{}
	w := &watchdog{
		checks:   []healthCheck{{"capture_loop", camera.check}, {"outbox", queue.check}},
		interval: time.Second, ping: true, notify: n.notify, log: slog.New(slog.DiscardHandler),
	}
	w.healthy.Store(true)
	hung := errors.New("capture loop made no progress for 15s")
	for _, step := range []struct {
		name      string
		cameraErr error
		want      []string
		healthy   bool
	}{
		{"healthy", nil, []string{"WATCHDOG=1"}, true},
		{"capture loop hangs", hung, []string{"STATUS=unhealthy, watchdog pings withheld: capture_loop: " + hung.Error()}, false},
		{"still hung: no ping, no repeated status", hung, nil, false},
		{"back", nil, []string{"STATUS=serving", "WATCHDOG=1"}, true},
	} {
		camera.err = step.cameraErr
		w.round(context.Background())
		if got := n.take(); !slices.Equal(got, step.want) {
			t.Errorf("%s: sent %q, want %q", step.name, got, step.want)
		}
		if w.Healthy() != step.healthy {
			t.Errorf("%s: Healthy() = %v, want %v", step.name, w.Healthy(), step.healthy)
		}
	}
	if got := w.Results(); got["outbox"] != "ok" || got["capture_loop"] != "ok" {
		t.Errorf("results %v, want both ok", got)
	}
}

func TestWatchdog_WithoutSystemdWatchdogChecksButNeverPings(t *testing.T) {
	var n notes
	bad := &switchable{err: errors.New("outbox read did not answer within 5s")}
	w := &watchdog{checks: []healthCheck{{"outbox", bad.check}}, notify: n.notify, log: slog.New(slog.DiscardHandler)}
	w.healthy.Store(true)
	w.round(context.Background())
	bad.err = nil
	w.round(context.Background())
	for _, s := range n.take() {
		if s == "WATCHDOG=1" {
			t.Errorf("pinged without WATCHDOG_USEC")
		}
	}
	if !w.Healthy() {
		t.Errorf("Healthy() = false after a passing round")
	}
}

func TestNewWatchdog_ReadsTheEnvironment(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		name, usec, pid string
		wantPing        bool
		wantInterval    time.Duration
	}{
		{"no watchdog", "", "", false, defaultCheckInterval},
		{"WatchdogSec=3s", "3000000", "", true, 1500 * time.Millisecond},
		{"for this process", "30000000", strconv.Itoa(os.Getpid()), true, 15 * time.Second},
		{"for another process", "30000000", "1", false, defaultCheckInterval},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WATCHDOG_USEC", tt.usec)
			t.Setenv("WATCHDOG_PID", tt.pid)
			w, err := newWatchdog(nil, log)
			if err != nil {
				t.Fatal(err)
			}
			if w.ping != tt.wantPing || w.interval != tt.wantInterval {
				t.Errorf("ping %v every %s, want %v every %s", w.ping, w.interval, tt.wantPing, tt.wantInterval)
			}
		})
	}
}

// TestSdNotify_ReachesTheSocket: the datagrams arrive on NOTIFY_SOCKET as
// systemd would read them.
func TestSdNotify_ReachesTheSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	log := slog.New(slog.DiscardHandler)
	notifyReady(sdNotify, log)
	notifyStopping(sdNotify, log)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got []string
	buf := make([]byte, 4096)
	for range 2 {
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(buf[:k]))
	}
	want := []string{"READY=1\nSTATUS=serving", "STOPPING=1\nSTATUS=stopping"}
	if !slices.Equal(got, want) {
		t.Errorf("datagrams %q, want %q", got, want)
	}
	t.Setenv("NOTIFY_SOCKET", "")
	if err := sdNotify("READY=1"); err != nil {
		t.Errorf("without NOTIFY_SOCKET: %v, want a silent no-op", err)
	}
}

func TestHangpointFromEnv(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		spec    string
		wantErr bool
		wantNil bool
	}{
		{"", false, true},
		{"camera-emit", false, false},
		{"camera-emit:40", false, false},
		{"camera-emit:0", true, true},
		{"camera-open", true, true},
	} {
		t.Setenv(hangpointEnv, tt.spec)
		h, err := hangpointFromEnv(log)
		if (err != nil) != tt.wantErr || (h == nil) != tt.wantNil {
			t.Errorf("%s=%q: hang %v err %v; want nil hang %v, error %v", hangpointEnv, tt.spec, h != nil, err, tt.wantNil, tt.wantErr)
		}
	}
	t.Setenv(hangpointEnv, "camera-emit:3")
	h, _ := hangpointFromEnv(log)
	h()
	h() // the first two frames pass; the third would block for good
}

func TestQueueProbe_StuckReadFailsOnceAndIsNotRepeated(t *testing.T) {
	q := &stuckQueue{release: make(chan struct{})}
	p := &queueProbe{box: q, timeout: 10 * time.Millisecond}
	for i := range 3 {
		err := p.check(context.Background())
		if err == nil || !strings.Contains(err.Error(), "did not answer") {
			t.Fatalf("check %d on a stuck outbox: %v, want a timeout", i+1, err)
		}
	}
	if got := q.calls(); got != 1 {
		t.Errorf("%d reads started for a stuck outbox, want 1 (the same one waited for)", got)
	}
	close(q.release)
	if err := p.check(context.Background()); err != nil {
		t.Errorf("after the read answered: %v", err)
	}
	if err := p.check(context.Background()); err != nil {
		t.Errorf("next check: %v", err)
	}
	if got := q.calls(); got != 2 {
		t.Errorf("%d reads in all, want 2", got)
	}
}
