package e2e

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/quality"
	"github.com/idkiosk/idkiosk/capture/whep/wheptest"
	"github.com/idkiosk/idkiosk/cmd/internal/promtext"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// metricsToken may read /metrics and nothing else; kioskd's config holds
// only its SHA-256 (metrics.token_sha256).
const metricsToken = "e2e-scrape-3b9d7f1a2c4e6a8b0d2f4a6c8e0b1d3f"

// opsKeys turns on the admin listener (admin token) and the metrics token.
func opsKeys(t *testing.T, admin string) map[string]string {
	adminSum := sha256.Sum256([]byte(adminToken))
	metricsSum := sha256.Sum256([]byte(metricsToken))
	return map[string]string{
		"admin.listen":         strconv.Quote(admin),
		"admin.tokens":         fmt.Sprintf(`["e2e-admin:3:%s"]`, hex.EncodeToString(adminSum[:])),
		"admin.ice_udp_port":   strconv.Itoa(freeUDPPort(t)),
		"admin.ice_tcp_port":   "0",
		"metrics.token_sha256": strconv.Quote(hex.EncodeToString(metricsSum[:])),
	}
}

// adminClient trusts the admin listener's self-signed certificate (made by
// kioskd in <data_dir>/admin-tls at its first start), pinned, not skipped.
func (e *env) adminClient() *http.Client {
	e.t.Helper()
	b, err := os.ReadFile(e.s.Path("kiosk", "admin-tls", "cert.pem"))
	if err != nil {
		e.t.Fatalf("the admin listener's certificate: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(b) {
		e.t.Fatalf("admin-tls/cert.pem holds no certificate")
	}
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}},
		Timeout:   30 * time.Second,
	}
}

// scraper reads kioskd's /metrics as Prometheus would.
type scraper struct {
	e      *env
	url    string
	token  string
	client *http.Client
}

func (e *env) scraper(adminAddr, token string) *scraper {
	return &scraper{e: e, url: "https://" + adminAddr + "/metrics", token: token, client: e.adminClient()}
}

// get returns the status and body of one scrape.
func (s *scraper) get() (int, string) {
	s.e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url, nil)
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.e.t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrape returns every sample as `name{label="value",...}` -> value.
func (s *scraper) scrape() map[string]float64 {
	s.e.t.Helper()
	code, body := s.get()
	if code != http.StatusOK {
		s.e.t.Fatalf("scrape: status %d: %.200s", code, body)
	}
	m, err := promtext.Samples(body)
	if err != nil {
		s.e.t.Fatalf("/metrics: %v", err)
	}
	return m
}

// until scrapes until cond holds and returns that scrape.
func (s *scraper) until(what string, cond func(m map[string]float64) bool) map[string]float64 {
	s.e.t.Helper()
	var m map[string]float64
	s.e.eventually(what+" in /metrics", func() bool { m = s.scrape(); return cond(m) })
	return m
}

const (
	mDepth     = "idkiosk_queue_depth"
	mOldest    = "idkiosk_queue_oldest_age_seconds"
	mDelivered = `idkiosk_uploads_total{outcome="delivered"}`
	mRetry     = `idkiosk_uploads_total{outcome="retry"}`
	mFrames    = "idkiosk_camera_frames_total"
	mCameraOK  = `idkiosk_camera_state{state="ok"}`
	mViewers   = "idkiosk_preview_viewers"
	mDark      = `idkiosk_quality_rejections_total{check="brightness",photo="face"}`
)

// TestMetrics_FiguresMoveWithRealEvents is Done-when 3a of the fleet
// issue: Prometheus's view of a real kioskd follows what happens to it.
// The service starts down, so a submitted profile waits in the queue
// (depth up, retries counted); the service comes up and delivers it
// (delivered up, depth back to 0); a photo in the dark fails its check
// (that check's counter up); an admin watches the preview (viewers 1,
// then 0).
func TestMetrics_FiguresMoveWithRealEvents(t *testing.T) {
	admin := freeAddr(t)
	keys := opsKeys(t, admin)
	for k, v := range fastRetries {
		keys[k] = v
	}
	e := newEnv(t, keys)
	e.startKioskd() // the service is down
	m := e.scraper(admin, metricsToken)

	t.Run("only with a token", func(t *testing.T) {
		for _, tok := range []string{"", "wrong-token"} {
			anon := e.scraper(admin, tok)
			if code, body := anon.get(); code != http.StatusUnauthorized || strings.Contains(body, "idkiosk_") {
				t.Errorf("token %q: status %d, want 401 and no figures", tok, code)
			}
		}
		if code, _ := e.scraper(admin, adminToken).get(); code != http.StatusOK {
			t.Errorf("an admin token: status %d, want 200", code)
		}
	})

	first := m.until("the camera streaming", func(m map[string]float64) bool { return m[mCameraOK] == 1 && m[mFrames] > 0 })
	if first[mDepth] != 0 || first[mDelivered] != 0 || first[mViewers] != 0 {
		t.Errorf("at start: depth %v delivered %v viewers %v, want all 0", first[mDepth], first[mDelivered], first[mViewers])
	}
	m.until("frames counting up", func(m map[string]float64) bool { return m[mFrames] > first[mFrames] })
	if !hasPrefix(first, `idkiosk_build_info{goversion="go`) {
		t.Errorf("no idkiosk_build_info with the Go version")
	}

	e.completeProfile("metrics.learner@example.com", "Metric Learner", false)
	queued := m.scrape()
	if queued[mDepth] != 1 {
		t.Errorf("after a submit with the service down: queue depth %v, want 1", queued[mDepth])
	}
	if _, ok := queued[mOldest]; !ok {
		t.Errorf("no %s while a profile waits", mOldest)
	}
	m.until("a retry counted while the service is down", func(m map[string]float64) bool { return m[mRetry] >= 1 })

	e.startVerifyd()
	m.until("the profile delivered", func(m map[string]float64) bool { return m[mDelivered] == 1 && m[mDepth] == 0 })

	before := m.scrape()[mDark]
	e.scene("dark")
	e.toFaceStep()
	e.waitState("too dark", func(s session.State) bool { return s.Quality != nil && s.Quality.Guidance == quality.KeyTooDark })
	e.do(session.Action{Type: session.ActCapture})
	e.waitState("the capture judged", func(s session.State) bool { return !s.Capturing && s.Quality != nil && s.Quality.Failed == 1 })
	m.until("the dark photo counted", func(m map[string]float64) bool { return m[mDark] == before+1 })

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, err := wheptest.Watch(ctx, e.adminClient(), "https://"+admin+"/whep", adminToken)
	if err != nil {
		t.Fatalf("watch the preview: %v", err)
	}
	defer v.Close()
	m.until("one viewer", func(m map[string]float64) bool {
		return m[mViewers] == 1 && m["idkiosk_preview_sessions_started_total"] == 1
	})
	if code, err := v.Delete(ctx); err != nil || code != http.StatusOK {
		t.Fatalf("end the preview session: status %d, %v", code, err)
	}
	m.until("no viewer", func(m map[string]float64) bool {
		return m[mViewers] == 0 && m[`idkiosk_preview_sessions_ended_total{reason="deleted"}`] == 1
	})
}

func hasPrefix(m map[string]float64, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
