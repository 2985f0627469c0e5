package agent

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"
)

// startTimeout is systemd's DefaultTimeoutStartSec: a Type=notify service
// that has not said READY=1 by then is failed and, with Restart=always,
// started again.
const startTimeout = 90 * time.Second

// notifier is where a Type=notify service reports to systemd
// (sd_notify(3)): READY, STATUS and STOPPING are logged, WATCHDOG pings
// passed to the supervisor (Supervise), which enforces WatchdogSec. It does
// not hold back the start for READY=1; it says when the image's systemd
// would have failed the start for want of it.
type notifier struct {
	Path  string
	pings chan struct{}
}

func notifySocket(ctx context.Context, path, unit string, log *slog.Logger) (*notifier, error) {
	os.Remove(path)
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, err
	}
	// The service runs as its own user.
	if err := os.Chmod(path, 0o666); err != nil {
		c.Close()
		return nil, err
	}
	n := &notifier{Path: path, pings: make(chan struct{}, 1)}
	ready := make(chan struct{})
	go func() {
		<-ctx.Done()
		c.Close()
	}()
	go func() {
		select {
		case <-ready:
		case <-ctx.Done():
		case <-time.After(startTimeout):
			log.Warn("no READY=1: systemd on the image would fail this start and restart the unit", "unit", unit, "after", startTimeout)
		}
	}()
	go func() {
		buf := make([]byte, 4096)
		pings := 0
		for {
			size, err := c.Read(buf)
			if err != nil {
				return
			}
			for _, kv := range strings.Split(string(buf[:size]), "\n") {
				switch {
				case kv == "READY=1":
					log.Info("unit ready (sd_notify)", "unit", unit)
					select {
					case <-ready:
					default:
						close(ready)
					}
				case kv == "WATCHDOG=1":
					if pings++; pings == 1 {
						log.Info("first watchdog ping (sd_notify)", "unit", unit)
					}
					select {
					case n.pings <- struct{}{}:
					default: // the supervisor has one to read already
					}
				case kv == "STOPPING=1":
					log.Info("unit stopping (sd_notify)", "unit", unit)
				case strings.HasPrefix(kv, "STATUS="):
					log.Info("unit status", "unit", unit, "status", strings.TrimPrefix(kv, "STATUS="))
				}
			}
		}
	}()
	return n, nil
}
