package agent

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// A service that fails is started again after RestartSec, as
// Restart=always does; stopped with SIGTERM, it stops cleanly.
func TestSupervise_RestartsAlways(t *testing.T) {
	runs := filepath.Join(t.TempDir(), "runs")
	// Fails twice, then runs until it is stopped.
	script := `echo >> "$0"; [ $(wc -l < "$0") -ge 3 ] && exec sleep 60; exit 3`
	s := &Service{Name: "fails.service", Exec: []string{"/bin/sh", "-c", script, runs},
		Restart: "always", RestartSec: time.Millisecond, TimeoutStopSec: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	starts := make(chan int, 10)
	done := make(chan error, 1)
	go func() {
		done <- s.Supervise(ctx, quiet, io.Discard, nil, func(pid int) {
			select {
			case starts <- pid:
			default:
			}
		})
	}()
	for i := range 3 {
		select {
		case <-starts:
		case <-time.After(10 * time.Second):
			t.Fatalf("start %d never came", i+1)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Supervise = %v, want nil: SIGTERM ended it", err)
	}
}

// Restart=no: one run, then the supervisor waits for the stop.
func TestSupervise_RestartNo(t *testing.T) {
	s := &Service{Name: "once.service", Exec: []string{"/bin/sh", "-c", "exit 0"}, Restart: "no", TimeoutStopSec: time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var mu sync.Mutex
	n := 0
	if err := s.Supervise(ctx, quiet, io.Discard, nil, func(int) { mu.Lock(); n++; mu.Unlock() }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("started %d times, want once", n)
	}
}

// Stopping sends SIGTERM; a service that ignores it is killed after
// TimeoutStopSec and the stop reported as unclean.
func TestSupervise_StopTimeoutKills(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	s := &Service{Name: "stubborn.service", Restart: "always", TimeoutStopSec: 200 * time.Millisecond,
		Exec: []string{"/bin/sh", "-c", `trap "" TERM; touch "$0"; while :; do sleep 0.05; done`, ready}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Supervise(ctx, quiet, io.Discard, nil, nil) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the service never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Supervise = %v, want an error saying it was killed", err)
	}
}

// A service whose condition does not hold is not started at all.
func TestSupervise_ConditionNotMet(t *testing.T) {
	s := &Service{Name: "cond.service", Exec: []string{"/bin/true"}, Conditions: []string{"/nonexistent/idkiosk"}}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	started := false
	s.Supervise(ctx, quiet, io.Discard, nil, func(int) { started = true })
	if started {
		t.Error("started although ConditionPathExists does not hold")
	}
	if ok, _ := (&Service{Conditions: []string{"!/nonexistent/idkiosk", "/"}}).Met(); !ok {
		t.Error("Met() = false for a negated missing path and /, want true")
	}
}

// UMask= reaches the process, which keeps the pid the supervisor started.
func TestCommand_UMask(t *testing.T) {
	var out bytes.Buffer
	s := &Service{Name: "umask.service", Exec: []string{"/bin/sh", "-c", "umask"}, UMask: "0077"}
	cmd, err := s.Command(&out)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != "0077" {
		t.Errorf("umask in the service = %q, want 0077", got)
	}
	if _, err := (&Service{Exec: []string{"/bin/true"}, UMask: "rw"}).Command(io.Discard); err == nil {
		t.Error(`UMask "rw" accepted, want an error`)
	}
}

// WatchdogSec: a service told WATCHDOG_USEC that never pings is aborted
// and started again, as systemd does.
func TestSupervise_WatchdogAbortsSilentService(t *testing.T) {
	usec := filepath.Join(t.TempDir(), "usec")
	s := &Service{Name: "silent.service", Restart: "always", RestartSec: time.Millisecond,
		TimeoutStopSec: 5 * time.Second, WatchdogSec: 100 * time.Millisecond,
		Exec: []string{"/bin/sh", "-c", `echo "$WATCHDOG_USEC" > "$0"; exec sleep 60`, usec}}
	n := &notifier{Path: "/run/idkiosk-test-notify", pings: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	starts := make(chan int, 10)
	done := make(chan error, 1)
	go func() {
		done <- s.Supervise(ctx, quiet, io.Discard, n, func(pid int) {
			select {
			case starts <- pid:
			default:
			}
		})
	}()
	first := <-starts
	select {
	case second := <-starts:
		if second == first {
			t.Errorf("restarted with the same pid %d", first)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the silent service was never aborted and restarted")
	}
	cancel()
	<-done
	if b, _ := os.ReadFile(usec); strings.TrimSpace(string(b)) != "100000" {
		t.Errorf("WATCHDOG_USEC = %q, want 100000", b)
	}
}
