package main

import (
	"context"
	"log/slog"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/whep"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/sync/client"
	"github.com/idkiosk/idkiosk/sync/outbox"
	"github.com/idkiosk/idkiosk/sync/upload"
)

// ops is how kioskd is watched from outside: Prometheus metrics
// (metrics.go), the systemd watchdog and its liveness checks (notify.go,
// liveness.go) and heartbeats to the service's fleet page (heartbeat.go).
// run.go makes one with wireOps and runs it beside the other parts.
type ops struct {
	metrics  *metrics
	watchdog *watchdog
	beats    *heartbeater
	parts    opsParts
	adminURL string
	notify   func(string) error
	log      *slog.Logger
	serving  chan struct{} // closed by ready
}

// opsParts are the parts ops watches.
type opsParts struct {
	hub      *capture.Hub
	camera   *cameraParts
	box      *outbox.Outbox
	uploader *upload.Uploader
	saver    sealingSaver
	hw       *hardware
	client   *client.Client
	admin    *adminListener
}

// wireOps puts the liveness tracker on the capture loop (before it runs),
// and readies the watchdog, the heartbeats and the metrics' collector.
func wireOps(cfg *config.Config, log *slog.Logger, met *metrics, p opsParts) (*ops, error) {
	log = log.With("part", "ops")
	hang, err := hangpointFromEnv(log)
	if err != nil {
		return nil, err
	}
	progress := trackCapture(p.camera.runner, captureHangAfter(cfg.Camera.StallTimeout, cfg.Camera.MaxBackoff), hang)
	wd, err := newWatchdog([]healthCheck{
		{name: "capture_loop", check: progress.check},
		{name: "outbox", check: (&queueProbe{box: p.box, timeout: queueProbeTimeout}).check},
	}, log)
	if err != nil {
		return nil, err
	}
	o := &ops{metrics: met, watchdog: wd, parts: p, adminURL: cfg.AdminURL(), notify: sdNotify, log: log,
		serving: make(chan struct{})}
	o.beats = &heartbeater{send: p.client.Heartbeat, gather: o.heartbeatFrom, interval: cfg.Heartbeat.Interval, log: log}
	met.watch(metricSources{
		hub: p.hub, camera: p.camera, queue: p.box, uploads: p.uploader, preview: p.admin.preview(),
		healthy: wd.Healthy, heartbeat: o.beats.LastOK,
	})
	return o, nil
}

// run sends heartbeats from the start and runs the watchdog once kioskd
// serves (ready), so systemd hears READY=1 before the first WATCHDOG=1,
// until ctx ends.
func (o *ops) run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.beats.run(ctx)
	}()
	var err error
	select {
	case <-o.serving:
		err = o.watchdog.run(ctx)
	case <-ctx.Done():
	}
	<-done
	return err
}

// ready: the UI serves; systemd may start the kiosk browser. Call once.
func (o *ops) ready() {
	notifyReady(o.notify, o.log)
	close(o.serving)
}

// stopping: a deliberate stop, not a crash.
func (o *ops) stopping() { notifyStopping(o.notify, o.log) }

// preview is the live preview's counters, or nil when the admin listener
// is off (a nil interface, never a typed nil the collector would call).
func (l *adminListener) preview() interface{ Stats() whep.Stats } {
	if l == nil || l.whep == nil {
		return nil
	}
	return l.whep
}
