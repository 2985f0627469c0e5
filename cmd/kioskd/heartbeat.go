package main

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

// heartbeater tells the service, every interval, that this kiosk is alive
// and how it is: POST /v1/devices/{id}/heartbeat over the kiosk's mTLS
// client. The service's fleet page shows the newest one per kiosk and marks
// a kiosk stale when they stop. A heartbeat carries no personal data:
// version, states, counts and check results only.
type heartbeater struct {
	send     func(context.Context, api.Heartbeat) error // client.Heartbeat
	gather   func(context.Context) api.Heartbeat
	interval time.Duration
	log      *slog.Logger
	jitter   func() float64 // in [0,1); nil: math/rand

	lastOK atomic.Int64 // UnixNano of the last accepted heartbeat; 0: never
}

// run sends one heartbeat at once (the fleet page shows a kiosk from its
// start) and then one every interval, give or take 10% so a fleet that
// powered up together does not report in lockstep, until ctx ends.
func (h *heartbeater) run(ctx context.Context) error {
	failing := false
	for {
		err := h.sendOne(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !failing:
			// Offline kiosks are normal (profiles queue); say it once, not
			// every minute for days.
			h.log.Warn("heartbeat not delivered; retrying every interval", "err", err, "interval", h.interval)
			failing = true
		case err != nil:
			h.log.Debug("heartbeat not delivered", "err", err)
		case err == nil:
			if failing {
				h.log.Info("heartbeats delivered again")
			}
			failing = false
			h.lastOK.Store(time.Now().UnixNano())
		}
		t := time.NewTimer(h.next())
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// sendOne gathers and sends one heartbeat, giving up after an interval: a
// service that accepts the connection and never answers must not hold
// back the next heartbeat for as long as the client's own timeout and
// retry (service.timeout, which may be minutes for slow uploads), and a
// heartbeat older than the next one says nothing anyway.
func (h *heartbeater) sendOne(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, h.interval)
	defer cancel()
	return h.send(ctx, h.gather(ctx))
}

// next is the interval with +-10% jitter.
func (h *heartbeater) next() time.Duration {
	j := h.jitter
	if j == nil {
		j = rand.Float64
	}
	return time.Duration(float64(h.interval) * (0.9 + 0.2*j()))
}

// LastOK is when the service last accepted a heartbeat; zero if never.
func (h *heartbeater) LastOK() time.Time {
	if n := h.lastOK.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// heartbeatFrom builds the heartbeat: /healthz's view of the kiosk
// (checkHealth), the camera's checks and the watchdog's, under stable ids.
// Health is "failing" when a liveness check fails or the queue cannot be
// read: systemd is about to restart kioskd, or should.
func (o *ops) heartbeatFrom(ctx context.Context) api.Heartbeat {
	p := o.parts
	hb := api.Heartbeat{
		Version:  version,
		Sent:     time.Now().UTC(),
		Camera:   p.camera.State().String(),
		AdminURL: o.adminURL,
		Checks:   map[string]string{},
	}
	h, err := checkHealth(ctx, p.camera, p.box, p.uploader, p.saver, p.hw)
	if err != nil {
		hb.Health = "failing"
		hb.Checks["queue"] = "fail"
	} else {
		hb.Health = h.Status
		hb.QueueDepth, hb.DeadLetters, hb.OldestQueued = h.Queue.Queued, h.Queue.Dead, h.Queue.Oldest
		hb.Checks["queue"] = "ok"
		for _, a := range h.Alerts {
			// The code and count only: an alert's detail is for the log.
			hb.Checks["alert."+a.Code] = strconv.Itoa(max(a.Count, 1))
		}
		if h.Cradle != nil {
			hb.Checks["cradle"] = h.Cradle.Status
		}
	}
	for _, r := range p.camera.monitor.Report().Checks {
		hb.Checks[r.ID] = string(r.Status)
	}
	for name, res := range o.watchdog.Results() {
		hb.Checks["watchdog."+name] = res
	}
	if !o.watchdog.Healthy() {
		hb.Health = "failing"
	}
	return hb
}
