package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/whep"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/outbox"
	"github.com/idkiosk/idkiosk/sync/upload"
)

// metrics is kioskd's Prometheus registry, served at GET /metrics on the
// admin listener. It is a registry of its own, not client_golang's global
// one, so nothing a library registers leaks into it and tests can build as
// many as they like.
//
// Most figures are read from the parts' own Stats when Prometheus scrapes
// (partsCollector), never counted a second time here: the hub counts
// frames, the outbox its queue, the uploader its outcomes, the WHEP server
// its viewers. The one counter kept here is photo rejections, because the
// session forgets its per-learner counts at every reset.
//
// Nothing personal goes into a label: no names, emails or profile ids, and
// not the admin token names either (they are often a person's name).
type metrics struct {
	reg      *prometheus.Registry
	rejected *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idkiosk_quality_rejections_total",
			Help: "Photos that failed their quality checks, by photo kind and failed check (a photo failing two checks counts once under each).",
		}, []string{"photo", "check"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "idkiosk_build_info",
		Help:        "Always 1; the labels say which kioskd runs.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	m.reg.MustRegister(m.rejected, build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// photoRejected is the session's RejectHook (session.Deps.OnReject). It runs
// under the session's lock: a counter increment, nothing more.
func (m *metrics) photoRejected(kind api.PhotoKind, failed []string) {
	for _, c := range failed {
		m.rejected.WithLabelValues(string(kind), c).Inc()
	}
}

// metricSources are the parts a scrape reads. preview, healthy and
// heartbeat may be nil (admin listener off; not wired in a test).
type metricSources struct {
	hub     interface{ Stats() capture.HubStats }
	camera  interface{ State() capture.State }
	queue   interface{ Stats() (outbox.Stats, error) }
	uploads interface{ Stats() upload.Stats }
	preview interface{ Stats() whep.Stats }
	// healthy is the watchdog's latest verdict (notify.go).
	healthy func() bool
	// heartbeat is when the service last took a heartbeat; zero: never.
	heartbeat func() time.Time
	now       func() time.Time
}

// watch registers the collector that reads srcs at every scrape. Call it
// once, before the admin listener serves.
func (m *metrics) watch(srcs metricSources) {
	if srcs.now == nil {
		srcs.now = time.Now
	}
	m.reg.MustRegister(newPartsCollector(srcs))
}

// handler serves the registry to requests allow accepts; the rest get 401.
func (m *metrics) handler(allow func(*http.Request) bool, log *slog.Logger) http.Handler {
	serve := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A queue that cannot be read must not hide the camera's figures.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if !allow(r) {
			log.Info("metrics scrape refused: no valid token", "remote", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="idkiosk metrics"`)
			http.Error(w, "a metrics or admin bearer token is required", http.StatusUnauthorized)
			return
		}
		serve.ServeHTTP(w, r)
	})
}

// metricsAuth decides who may scrape: the holder of metrics.token_sha256's
// token (read-only: a Prometheus server should not hold a credential that
// can also watch the camera) or of any admin token (an admin who may watch
// may also read the counters, e.g. with curl). Only hashes are kept, and
// the comparison takes the same time whichever way it goes.
func metricsAuth(tokenSHA256 string, admin func(*http.Request) (string, bool)) (func(*http.Request) bool, error) {
	var want []byte
	if tokenSHA256 != "" {
		b, err := hex.DecodeString(tokenSHA256)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("metrics.token_sha256: want 64 hex digits")
		}
		want = b
	}
	return func(r *http.Request) bool {
		if want != nil {
			if secret, ok := bearerToken(r); ok {
				got := sha256.Sum256([]byte(secret))
				if subtle.ConstantTimeCompare(got[:], want) == 1 {
					return true
				}
			}
		}
		_, ok := admin(r)
		return ok
	}, nil
}

func bearerToken(r *http.Request) (string, bool) {
	scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret = strings.TrimSpace(secret)
	return secret, secret != ""
}

// partsCollector turns the parts' Stats into metrics at scrape time.
type partsCollector struct {
	src metricSources

	frames, fps, lastFrame, cameraState                   *prometheus.Desc
	queueDepth, queueBytes, oldestAge, dead               *prometheus.Desc
	uploads, attempts, inFlight                           *prometheus.Desc
	viewers, previewSessions, previewEnded, previewFrames *prometheus.Desc
	previewAuthFailures                                   *prometheus.Desc
	healthy, heartbeat                                    *prometheus.Desc
}

func newPartsCollector(src metricSources) *partsCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &partsCollector{
		src:         src,
		frames:      d("idkiosk_camera_frames_total", "Frames the camera delivered since kioskd started."),
		fps:         d("idkiosk_camera_fps", "Recent frame rate; falls toward 0 while frames stop."),
		lastFrame:   d("idkiosk_camera_last_frame_timestamp_seconds", "When the newest frame arrived (Unix time); absent before the first."),
		cameraState: d("idkiosk_camera_state", "1 for the camera's current state (ok, starting, disconnected, busy, no_permission, black, frozen, wrong_camera), 0 for the others.", "state"),
		queueDepth:  d("idkiosk_queue_depth", "Sealed profiles waiting for delivery."),
		queueBytes:  d("idkiosk_queue_bytes", "Sealed bytes waiting for delivery."),
		oldestAge:   d("idkiosk_queue_oldest_age_seconds", "Age of the oldest profile waiting for delivery; 0 when none waits."),
		dead:        d("idkiosk_queue_dead_letters", "Profiles the service refused for good, kept for staff (kioskctl queue)."),
		uploads:     d("idkiosk_uploads_total", "Delivery attempts by outcome: delivered, retry (deferred with backoff) or dead (refused for good).", "outcome"),
		attempts:    d("idkiosk_upload_attempts_total", "PUTs started."),
		inFlight:    d("idkiosk_uploads_in_flight", "PUTs under way now."),
		viewers:     d("idkiosk_preview_viewers", "Admins watching the live preview now."),
		previewSessions: d("idkiosk_preview_sessions_started_total",
			"Live preview sessions started."),
		previewEnded:        d("idkiosk_preview_sessions_ended_total", "Live preview sessions ended, by reason.", "reason"),
		previewFrames:       d("idkiosk_preview_frames_encoded_total", "Frames encoded for the live preview (once, whatever the viewer count)."),
		previewAuthFailures: d("idkiosk_preview_auth_failures_total", "Admin requests without a valid token."),
		healthy:             d("idkiosk_watchdog_healthy", "1 while the capture loop and the outbox answer (systemd watchdog pings are sent), else 0."),
		heartbeat:           d("idkiosk_heartbeat_last_success_timestamp_seconds", "When the service last accepted a heartbeat (Unix time); absent before the first."),
	}
}

func (c *partsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.frames, c.fps, c.lastFrame, c.cameraState, c.queueDepth, c.queueBytes,
		c.oldestAge, c.dead, c.uploads, c.attempts, c.inFlight, c.viewers, c.previewSessions, c.previewEnded,
		c.previewFrames, c.previewAuthFailures, c.healthy, c.heartbeat} {
		ch <- d
	}
}

func (c *partsCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	now := c.src.now()

	hs := c.src.hub.Stats()
	counter(c.frames, float64(hs.Published))
	gauge(c.fps, hs.FPS)
	if !hs.LastPublish.IsZero() {
		gauge(c.lastFrame, unixSeconds(hs.LastPublish))
	}
	state := c.src.camera.State()
	for _, s := range capture.States() {
		gauge(c.cameraState, boolFloat(s == state), s.String())
	}

	if qs, err := c.src.queue.Stats(); err != nil {
		for _, d := range []*prometheus.Desc{c.queueDepth, c.queueBytes, c.oldestAge, c.dead} {
			ch <- prometheus.NewInvalidMetric(d, fmt.Errorf("read queue: %w", err))
		}
	} else {
		gauge(c.queueDepth, float64(qs.Queued))
		gauge(c.queueBytes, float64(qs.QueuedBytes))
		age := 0.0
		if !qs.Oldest.IsZero() {
			age = max(0, now.Sub(qs.Oldest).Seconds())
		}
		gauge(c.oldestAge, age)
		gauge(c.dead, float64(qs.Dead))
	}

	us := c.src.uploads.Stats()
	counter(c.uploads, float64(us.Delivered), "delivered")
	counter(c.uploads, float64(us.Retries), "retry")
	counter(c.uploads, float64(us.Dead), "dead")
	counter(c.attempts, float64(us.Attempts))
	gauge(c.inFlight, float64(us.InFlight))

	var ps whep.Stats
	if c.src.preview != nil {
		ps = c.src.preview.Stats()
	}
	gauge(c.viewers, float64(ps.Viewers))
	var started uint64
	for _, n := range ps.Started {
		started += n // summed: the token names are people's names
	}
	counter(c.previewSessions, float64(started))
	for reason, n := range ps.Ended {
		counter(c.previewEnded, float64(n), reason)
	}
	counter(c.previewFrames, float64(ps.Frames))
	counter(c.previewAuthFailures, float64(ps.AuthFailures))

	if c.src.healthy != nil {
		gauge(c.healthy, boolFloat(c.src.healthy()))
	}
	if c.src.heartbeat != nil {
		if t := c.src.heartbeat(); !t.IsZero() {
			gauge(c.heartbeat, unixSeconds(t))
		}
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// withMetrics mounts m at GET /metrics in front of the admin handler; the
// admin page, its API and WHEP keep every other path.
func withMetrics(next http.Handler, m *metrics, tokenSHA256 string, admin func(*http.Request) (string, bool), log *slog.Logger) (http.Handler, error) {
	if m == nil {
		return next, nil
	}
	allow, err := metricsAuth(tokenSHA256, admin)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler(allow, log))
	mux.Handle("/", next)
	return mux, nil
}
