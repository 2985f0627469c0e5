package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func testHandler(statusErr error) http.Handler {
	return Handler(Config{
		Authenticate: func(r *http.Request) (string, bool) {
			return "alice", r.Header.Get("Authorization") == "Bearer good"
		},
		Status: func(context.Context) (Status, error) {
			return Status{Device: "kiosk-1", Camera: CameraStatus{State: "ok", FPS: 15}, Queue: QueueStatus{Queued: 3}}, statusErr
		},
		WHEP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-WHEP", r.Method+" "+r.URL.Path)
			w.WriteHeader(http.StatusTeapot)
		}),
	})
}

func get(t *testing.T, h http.Handler, method, path, auth string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestStatus_NeedsToken(t *testing.T) {
	h := testHandler(nil)
	for _, auth := range []string{"", "Bearer bad", "Basic Z29vZA=="} {
		resp := get(t, h, http.MethodGet, "/api/status", auth)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("Authorization %q: status %d %s, want a 401 problem", auth, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	resp := get(t, h, http.MethodGet, "/api/status", "Bearer good")
	var st Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	if st.Token != "alice" || st.Queue.Queued != 3 || st.Camera.State != "ok" || st.Viewers == nil {
		t.Errorf("status = %+v; want alice's, queue 3, camera ok, an empty viewer list", st)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	if resp := get(t, testHandler(errors.New("queue unreadable")), http.MethodGet, "/api/status", "Bearer good"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status with a failing source: %d, want 503", resp.StatusCode)
	}
}

func TestPageAndWHEPRoutes(t *testing.T) {
	h := testHandler(nil)
	tests := []struct {
		method, path string
		want         int
		wantCSP      bool
		whep         string
	}{
		{"GET", "/", 200, true, ""},
		{"GET", "/admin.js", 200, true, ""},
		{"GET", "/whep.js", 200, true, ""},
		{"GET", "/index.html", 404, true, ""},
		{"GET", "/nope.js", 404, true, ""},
		{"POST", "/whep", http.StatusTeapot, false, "POST /whep"},
		{"DELETE", "/whep/abc", http.StatusTeapot, false, "DELETE /whep/abc"},
	}
	for _, tt := range tests {
		resp := get(t, h, tt.method, tt.path, "")
		if resp.StatusCode != tt.want || resp.Header.Get("X-WHEP") != tt.whep {
			t.Errorf("%s %s: status %d, whep %q; want %d, %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("X-WHEP"), tt.want, tt.whep)
		}
		if got := resp.Header.Get("Content-Security-Policy") != ""; got != tt.wantCSP {
			t.Errorf("%s %s: CSP present %v, want %v", tt.method, tt.path, got, tt.wantCSP)
		}
		if resp.Header.Get("Strict-Transport-Security") == "" {
			t.Errorf("%s %s: no HSTS", tt.method, tt.path)
		}
	}
}

// The page runs under a strict CSP: no inline code or style, no HTML built
// from strings, and the token never goes into a URL.
func TestAssets_NoInlineCodeNoTokenInURL(t *testing.T) {
	banned := []struct {
		re   *regexp.Regexp
		why  string
		only string
	}{
		{regexp.MustCompile(`(?is)<script\b[^>]*>\s*[^<\s]`), "inline script", ".html"},
		{regexp.MustCompile(`(?i)<style|\sstyle\s*=`), "inline style", ".html"},
		{regexp.MustCompile(`(?i)\son[a-z]+\s*=`), "inline event handler", ".html"},
		{regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write`), "HTML from strings", ".js"},
		{regexp.MustCompile(`\beval\(|new Function\(`), "eval", ".js"},
		{regexp.MustCompile(`\.style\b`), "inline style from script", ".js"},
		{regexp.MustCompile(`[?&]token=|localStorage`), "token in a URL or kept beyond the tab", ".js"},
		{regexp.MustCompile(`getUserMedia|mediaDevices`), "the admin's own camera", ""},
	}
	n := 0
	err := fs.WalkDir(webFS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		f, _ := webFS().Open(path)
		b, _ := io.ReadAll(f)
		f.Close()
		for _, rule := range banned {
			if rule.only != "" && !strings.HasSuffix(path, rule.only) {
				continue
			}
			if m := rule.re.Find(b); m != nil {
				t.Errorf("%s: %s (%q)", path, rule.why, m)
			}
		}
		return nil
	})
	if err != nil || n < 4 {
		t.Fatalf("walked %d files: %v", n, err)
	}
}
