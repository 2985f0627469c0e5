package main

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// kioskd speaks systemd's notify protocol (sd_notify(3)) for the unit in
// buildroot/board/common/rootfs-overlay/usr/lib/systemd/system/kioskd.service
// (Type=notify, WatchdogSec): READY=1 once the learner's UI is being
// served, WATCHDOG=1 every half WatchdogSec while the liveness checks pass
// (liveness.go), STATUS= lines saying why pings stopped, STOPPING=1 when
// shutting down. Without NOTIFY_SOCKET (run by hand, in tests) every
// message is a no-op; without WATCHDOG_USEC the checks still run, for
// /metrics and heartbeats, but nothing is pinged.

// sdNotify sends one notify datagram. daemon.SdNotify reads NOTIFY_SOCKET
// on each call and answers (false, nil) when it is unset.
func sdNotify(state string) error {
	_, err := daemon.SdNotify(false, state)
	return err
}

// healthCheck is one liveness check; it must return within its own
// deadline (queueProbe) or be a quick look at memory (captureProgress).
type healthCheck struct {
	name  string // stable: heartbeats report it as "watchdog.<name>"
	check func(context.Context) error
}

// watchdog runs the liveness checks every interval and pings systemd while
// they all pass.
type watchdog struct {
	checks []healthCheck
	// interval is half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises.
	interval time.Duration
	// ping is false when systemd set no watchdog: the checks still run.
	ping   bool
	notify func(state string) error
	log    *slog.Logger

	healthy atomic.Bool
	results atomic.Pointer[map[string]string] // check name -> "ok" or the failure
}

// defaultCheckInterval is how often the checks run without a systemd
// watchdog: often enough for /metrics and heartbeats to be current.
const defaultCheckInterval = 10 * time.Second

// newWatchdog reads WATCHDOG_USEC (and WATCHDOG_PID) from the environment.
func newWatchdog(checks []healthCheck, log *slog.Logger) (*watchdog, error) {
	w := &watchdog{checks: checks, interval: defaultCheckInterval, notify: sdNotify, log: log}
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		return nil, err
	}
	if d > 0 {
		w.interval, w.ping = d/2, true
	}
	w.healthy.Store(true) // until the first round says otherwise
	return w, nil
}

// Healthy is the latest verdict.
func (w *watchdog) Healthy() bool { return w.healthy.Load() }

// Results are the latest check outcomes, by check name.
func (w *watchdog) Results() map[string]string {
	if r := w.results.Load(); r != nil {
		return *r
	}
	return nil
}

// run checks at once and then every interval until ctx ends.
func (w *watchdog) run(ctx context.Context) error {
	if w.ping {
		w.log.Info("systemd watchdog on", "ping_every", w.interval)
	}
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		w.round(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// round runs every check and pings if all passed. It reports a change of
// verdict once (log and STATUS=), not on every round.
func (w *watchdog) round(ctx context.Context) {
	results := make(map[string]string, len(w.checks))
	var failed []string
	for _, c := range w.checks {
		if err := c.check(ctx); err != nil {
			if ctx.Err() != nil {
				return // shutting down: say nothing about health
			}
			results[c.name] = "fail: " + err.Error()
			failed = append(failed, c.name+": "+err.Error())
			continue
		}
		results[c.name] = "ok"
	}
	w.results.Store(&results)
	ok := len(failed) == 0
	was := w.healthy.Swap(ok)
	switch {
	case !ok && was:
		why := strings.Join(failed, "; ")
		w.log.Error("liveness check failed: watchdog pings withheld, systemd will restart kioskd", "failed", why)
		w.send("STATUS=unhealthy, watchdog pings withheld: " + why)
	case ok && !was:
		w.log.Info("liveness checks pass again: watchdog pings resume")
		w.send("STATUS=serving")
	}
	if ok && w.ping {
		w.send(daemon.SdNotifyWatchdog)
	}
}

func (w *watchdog) send(state string) {
	if err := w.notify(state); err != nil {
		w.log.Warn("systemd notify", "state", firstLine(state), "err", err)
	}
}

// notifyReady tells systemd kioskd is serving: the unit becomes active and
// kiosk-browser.service (After=kioskd.service) may open the page.
func notifyReady(notify func(string) error, log *slog.Logger) {
	if err := notify(daemon.SdNotifyReady + "\nSTATUS=serving"); err != nil {
		log.Warn("systemd notify READY", "err", err)
	}
}

// notifyStopping tells systemd the stop is deliberate; TimeoutStopSec
// bounds it from here.
func notifyStopping(notify func(string) error, log *slog.Logger) {
	if err := notify(daemon.SdNotifyStopping + "\nSTATUS=stopping"); err != nil {
		log.Warn("systemd notify STOPPING", "err", err)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
