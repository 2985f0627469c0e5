package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/whep"
	"github.com/idkiosk/idkiosk/cmd/internal/promtext"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/api/apitest"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/outbox"
	"github.com/idkiosk/idkiosk/sync/upload"
)

// fakeParts stands in for the hub, camera, outbox, uploader and preview,
// each answering what the test set.
type fakeParts struct {
	mu      sync.Mutex
	hub     capture.HubStats
	state   capture.State
	queue   outbox.Stats
	qerr    error
	uploads upload.Stats
	preview whep.Stats
}

type (
	fakeHub     struct{ *fakeParts }
	fakeCam     struct{ *fakeParts }
	fakeQueue   struct{ *fakeParts }
	fakeUploads struct{ *fakeParts }
	fakePreview struct{ *fakeParts }
)

func (f fakeHub) Stats() capture.HubStats { f.mu.Lock(); defer f.mu.Unlock(); return f.hub }
func (f fakeCam) State() capture.State    { f.mu.Lock(); defer f.mu.Unlock(); return f.state }
func (f fakeQueue) Stats() (outbox.Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queue, f.qerr
}
func (f fakeUploads) Stats() upload.Stats { f.mu.Lock(); defer f.mu.Unlock(); return f.uploads }
func (f fakePreview) Stats() whep.Stats   { f.mu.Lock(); defer f.mu.Unlock(); return f.preview }

func (f *fakeParts) set(change func(*fakeParts)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

const (
	testMetricsToken = "scrape-8c1f0e2d9a7b4c3e5f6a1b2c3d4e5f60"
	testAdminToken   = "admin-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
)

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// metricsRig is a metrics endpoint on fakes, with both kinds of token.
type metricsRig struct {
	t     *testing.T
	parts *fakeParts
	m     *metrics
	srv   *httptest.Server
	now   time.Time
}

func newMetricsRig(t *testing.T) *metricsRig {
	t.Helper()
	r := &metricsRig{t: t, parts: &fakeParts{}, m: newMetrics(), now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	r.m.watch(metricSources{
		hub: fakeHub{r.parts}, camera: fakeCam{r.parts}, queue: fakeQueue{r.parts},
		uploads: fakeUploads{r.parts}, preview: fakePreview{r.parts},
		healthy: func() bool { return true },
		now:     func() time.Time { return r.now },
	})
	adminAuth := func(req *http.Request) (string, bool) {
		tok, ok := bearerToken(req)
		return "ops", ok && tok == testAdminToken
	}
	h, err := withMetrics(http.NotFoundHandler(), r.m, sha256Hex(testMetricsToken), adminAuth, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	return r
}

// get scrapes /metrics with token and returns the status and body.
func (r *metricsRig) get(token string) (int, string) {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrape returns every sample as `name{label="value",...}` -> value.
func (r *metricsRig) scrape() map[string]float64 {
	r.t.Helper()
	code, body := r.get(testMetricsToken)
	if code != http.StatusOK {
		r.t.Fatalf("scrape: status %d: %s", code, body)
	}
	return parseMetrics(r.t, body)
}

func parseMetrics(t *testing.T, text string) map[string]float64 {
	t.Helper()
	m, err := promtext.Samples(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return m
}

// TestMetrics_ReadPartsAtScrape: every figure is the parts' own number at
// the moment of the scrape, and moves when they do.
func TestMetrics_ReadPartsAtScrape(t *testing.T) {
	r := newMetricsRig(t)
	oldest := r.now.Add(-90 * time.Second)
	r.parts.set(func(p *fakeParts) {
		p.hub = capture.HubStats{Published: 300, FPS: 14.5, LastPublish: r.now}
		p.state = capture.StateStreaming
		p.queue = outbox.Stats{Queued: 3, QueuedBytes: 900_000, Oldest: oldest, Dead: 1}
		p.uploads = upload.Stats{Attempts: 9, Delivered: 5, Retries: 3, Dead: 1, InFlight: 2}
		p.preview = whep.Stats{Viewers: 2, Started: map[string]uint64{"alice": 2, "bob": 1},
			Ended: map[string]uint64{whep.ReasonDeleted: 1}, Frames: 44, AuthFailures: 4}
	})
	want := map[string]float64{
		"idkiosk_camera_frames_total":                            300,
		"idkiosk_camera_fps":                                     14.5,
		"idkiosk_camera_last_frame_timestamp_seconds":            float64(r.now.Unix()),
		`idkiosk_camera_state{state="ok"}`:                       1,
		`idkiosk_camera_state{state="disconnected"}`:             0,
		"idkiosk_queue_depth":                                    3,
		"idkiosk_queue_bytes":                                    900_000,
		"idkiosk_queue_oldest_age_seconds":                       90,
		"idkiosk_queue_dead_letters":                             1,
		`idkiosk_uploads_total{outcome="delivered"}`:             5,
		`idkiosk_uploads_total{outcome="retry"}`:                 3,
		`idkiosk_uploads_total{outcome="dead"}`:                  1,
		"idkiosk_upload_attempts_total":                          9,
		"idkiosk_uploads_in_flight":                              2,
		"idkiosk_preview_viewers":                                2,
		"idkiosk_preview_sessions_started_total":                 3,
		`idkiosk_preview_sessions_ended_total{reason="deleted"}`: 1,
		"idkiosk_preview_frames_encoded_total":                   44,
		"idkiosk_preview_auth_failures_total":                    4,
		"idkiosk_watchdog_healthy":                               1,
	}
	got := r.scrape()
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, w)
		}
	}
	for k := range got {
		if strings.Contains(k, "alice") || strings.Contains(k, "bob") {
			t.Errorf("a token name is in a label: %s", k)
		}
	}

	// The camera is unplugged, the queue drains: the next scrape says so.
	r.parts.set(func(p *fakeParts) {
		p.state = capture.StateDisconnected
		p.queue = outbox.Stats{}
		p.uploads.Delivered = 8
	})
	got = r.scrape()
	for k, w := range map[string]float64{
		`idkiosk_camera_state{state="ok"}`:           0,
		`idkiosk_camera_state{state="disconnected"}`: 1,
		"idkiosk_queue_depth":                        0,
		"idkiosk_queue_oldest_age_seconds":           0,
		`idkiosk_uploads_total{outcome="delivered"}`: 8,
	} {
		if g := got[k]; g != w {
			t.Errorf("after the change: %s = %v, want %v", k, g, w)
		}
	}
}

func TestMetrics_QualityRejectionsByPhotoAndCheck(t *testing.T) {
	r := newMetricsRig(t)
	r.m.photoRejected(api.PhotoFace, []string{"brightness", "contrast"})
	r.m.photoRejected(api.PhotoFace, []string{"brightness"})
	r.m.photoRejected(api.PhotoIDPhotoSide, []string{"glare"})
	got := r.scrape()
	for k, w := range map[string]float64{
		`idkiosk_quality_rejections_total{check="brightness",photo="face"}`:     2,
		`idkiosk_quality_rejections_total{check="contrast",photo="face"}`:       1,
		`idkiosk_quality_rejections_total{check="glare",photo="id_photo_side"}`: 1,
	} {
		if g := got[k]; g != w {
			t.Errorf("%s = %v, want %v", k, g, w)
		}
	}
}

func TestMetrics_BuildInfo(t *testing.T) {
	got := newMetricsRig(t).scrape()
	found := false
	for k, v := range got {
		if strings.HasPrefix(k, "idkiosk_build_info{") && strings.Contains(k, `version="`+version+`"`) && strings.Contains(k, `goversion="go`) && v == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("no idkiosk_build_info with version %q and the Go version", version)
	}
	if _, ok := got["go_goroutines"]; !ok {
		t.Errorf("no Go runtime metrics (go_goroutines)")
	}
}

// TestMetrics_Auth: the scrape token or an admin token; nothing else.
func TestMetrics_Auth(t *testing.T) {
	r := newMetricsRig(t)
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", "guess", http.StatusUnauthorized},
		{"the token's hash", sha256Hex(testMetricsToken), http.StatusUnauthorized},
		{"metrics token", testMetricsToken, http.StatusOK},
		{"admin token", testAdminToken, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := r.get(tt.token)
			if code != tt.want {
				t.Errorf("status %d, want %d", code, tt.want)
			}
			if code != http.StatusOK && strings.Contains(body, "idkiosk_") {
				t.Errorf("a refused scrape got figures: %.80s", body)
			}
		})
	}
}

func TestMetricsAuth_WithoutMetricsToken(t *testing.T) {
	admin := func(req *http.Request) (string, bool) {
		tok, ok := bearerToken(req)
		return "ops", ok && tok == testAdminToken
	}
	allow, err := metricsAuth("", admin)
	if err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]bool{testAdminToken: true, testMetricsToken: false, "": false} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if got := allow(req); got != want {
			t.Errorf("token %.8s…: allowed %v, want %v", token, got, want)
		}
	}
	if _, err := metricsAuth("not-hex", admin); err == nil {
		t.Errorf("metricsAuth accepted a token_sha256 that is not 64 hex digits")
	}
}

// TestMetrics_UnreadableQueueKeepsTheRest: a queue that cannot be read
// drops its own figures from the scrape, not the camera's.
func TestMetrics_UnreadableQueueKeepsTheRest(t *testing.T) {
	r := newMetricsRig(t)
	r.parts.set(func(p *fakeParts) {
		p.qerr = errors.New("disk gone")
		p.hub.Published = 7
	})
	code, body := r.get(testMetricsToken)
	if code != http.StatusOK {
		t.Fatalf("status %d, want 200 with the other figures", code)
	}
	got := parseMetrics(t, body)
	if got["idkiosk_camera_frames_total"] != 7 {
		t.Errorf("idkiosk_camera_frames_total = %v, want 7", got["idkiosk_camera_frames_total"])
	}
	if _, ok := got["idkiosk_queue_depth"]; ok {
		t.Errorf("idkiosk_queue_depth reported for an unreadable queue")
	}
}

// BenchmarkMetrics_Scrape is one Prometheus scrape of a kioskd with a real
// outbox holding 100 queued profiles: the parts' Stats (one bbolt read
// transaction), the Go and process collectors, and the text encoding.
func BenchmarkMetrics_Scrape(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "q")
	if err := os.Mkdir(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	box, err := outbox.Open(filepath.Join(dir, "outbox.db"), outbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer box.Close()
	key, err := envelope.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	for range 100 {
		p := apitest.Profile(b, apitest.Options{DeviceID: "kiosk-bench"})
		env, err := envelope.Seal(key.Public(), p)
		if err != nil {
			b.Fatal(err)
		}
		if err := box.Put(context.Background(), outbox.NewItem{ID: p.ID, Created: p.Created, Sealed: env}); err != nil {
			b.Fatal(err)
		}
	}
	parts := &fakeParts{}
	m := newMetrics()
	m.watch(metricSources{hub: fakeHub{parts}, camera: fakeCam{parts}, queue: box, uploads: fakeUploads{parts}, preview: fakePreview{parts}})
	h := m.handler(func(*http.Request) bool { return true }, slog.New(slog.DiscardHandler))
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
