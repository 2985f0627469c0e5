package kioskui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
)

type stillCamera struct{}

func (stillCamera) Still(ctx context.Context) (capture.Still, error) {
	return capture.Still{JPEG: []byte("\xff\xd8fake-jpeg\xff\xd9"), Width: 640, Height: 480, Time: time.Now(), Source: "test"}, nil
}

type nopSaver struct{}

func (nopSaver) Save(ctx context.Context, p *api.Profile) error { return nil }

type fakeDemo struct {
	mu      sync.Mutex
	cradle  *cradle.Sim
	scene   string
	present []bool
}

func (d *fakeDemo) SetCradle(present bool) error {
	d.mu.Lock()
	d.present = append(d.present, present)
	d.mu.Unlock()
	if present {
		d.cradle.Place()
	} else {
		d.cradle.Remove()
	}
	return nil
}

func (d *fakeDemo) SetScene(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if name != "face" && name != "id_front" {
		return errors.New("no such scene")
	}
	d.scene = name
	return nil
}

func (d *fakeDemo) Scenes() []string { return []string{"face", "id_front"} }

func (d *fakeDemo) Scene() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.scene
}

type fixture struct {
	t    *testing.T
	srv  *Server
	sess *session.Session
	demo *fakeDemo
	ts   *httptest.Server
}

func newFixture(t *testing.T, cfg ServerConfig) *fixture {
	t.Helper()
	sim := cradle.NewSim()
	sess := session.New(session.Config{DeviceID: "kiosk-test", Languages: []string{"en", "es", "fr"}},
		session.Deps{Camera: stillCamera{}, Cradle: sim, Saver: nopSaver{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sess.Run(ctx)
	}()
	f := &fixture{t: t, sess: sess, demo: &fakeDemo{cradle: sim, scene: "face"}}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f.srv = NewServer(cfg, sess)
	f.ts = httptest.NewServer(f.srv.Handler())
	t.Cleanup(func() {
		f.srv.Close()
		f.ts.Close()
		cancel()
		<-done
	})
	return f
}

// serve runs one request through the handler with the test server's Host.
func (f *fixture) serve(r *http.Request) *httptest.ResponseRecorder {
	f.t.Helper()
	if r.Host == "example.com" { // httptest.NewRequest's default
		r.Host = "127.0.0.1:8080"
	}
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	return w
}

func (f *fixture) post(path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return f.serve(r)
}

func (f *fixture) act(a session.Action) session.State {
	f.t.Helper()
	b, _ := json.Marshal(a)
	w := f.post("/api/action", string(b))
	if w.Code != http.StatusOK {
		f.t.Fatalf("POST /api/action %+v: %d %s", a, w.Code, w.Body)
	}
	var st session.State
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		f.t.Fatalf("decode state: %v", err)
	}
	return st
}

func decodeProblem(t *testing.T, w *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("decode problem %q: %v", w.Body, err)
	}
	return p
}

func TestHeaders_EveryResponse(t *testing.T) {
	f := newFixture(t, ServerConfig{})
	for _, path := range []string{"/", "/app.css", "/js/app.js", "/i18n/en.json", "/api/state", "/api/photos/face.jpg", "/nope"} {
		t.Run(path, func(t *testing.T) {
			w := f.serve(httptest.NewRequest(http.MethodGet, path, nil))
			h := w.Header()
			want := map[string]string{
				"Content-Security-Policy": csp,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"Cache-Control":           "no-store",
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s: %s = %q, want %q", path, k, got, v)
				}
			}
			for _, part := range []string{"default-src 'self'", "img-src 'self' data:", "style-src 'self'", "script-src 'self'",
				"connect-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(h.Get("Content-Security-Policy"), part) {
					t.Errorf("CSP lacks %q", part)
				}
			}
			if strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
				t.Errorf("CSP allows unsafe-inline")
			}
		})
	}
}

func TestAssets_ContentTypes(t *testing.T) {
	f := newFixture(t, ServerConfig{})
	tests := []struct{ path, want string }{
		{"/", "text/html"},
		{"/app.css", "text/css"},
		{"/js/app.js", "text/javascript"},
		{"/js/screens/photo.js", "text/javascript"},
		{"/i18n/fr.json", "application/json"},
	}
	for _, tt := range tests {
		w := f.serve(httptest.NewRequest(http.MethodGet, tt.path, nil))
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), tt.want) {
			t.Errorf("GET %s: %d %q, want 200 %s", tt.path, w.Code, w.Header().Get("Content-Type"), tt.want)
		}
	}
	for _, path := range []string{"/js/", "/js", "/index.html", "/i18n/de.json", "/i18n/en", "/go.mod", "/assets_test.go", "/api/nothing"} {
		if w := f.serve(httptest.NewRequest(http.MethodGet, path, nil)); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, w.Code)
		}
	}
}

func TestHost_Rejected(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		host    string
		ok      bool
	}{
		{"configured host", []string{"127.0.0.1:8080", "localhost:8080"}, "127.0.0.1:8080", true},
		{"configured name", []string{"127.0.0.1:8080", "localhost:8080"}, "LOCALHOST:8080", true},
		{"other port", []string{"127.0.0.1:8080"}, "127.0.0.1:9090", false},
		{"rebinding name", []string{"127.0.0.1:8080"}, "evil.example:8080", false},
		{"default loopback v4", nil, "127.0.0.1:43210", true},
		{"default loopback v6", nil, "[::1]:8080", true},
		{"default localhost", nil, "localhost:8080", true},
		{"default rebinding name", nil, "attacker.example:8080", false},
		{"default loopback lookalike", nil, "127.0.0.1.nip.io:8080", false},
		{"default LAN address", nil, "192.168.1.20:8080", false},
		{"empty host", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, ServerConfig{AllowedHosts: tt.allowed})
			r := httptest.NewRequest(http.MethodGet, "/api/state", nil)
			r.Host = tt.host
			w := httptest.NewRecorder()
			f.srv.Handler().ServeHTTP(w, r)
			if tt.ok && w.Code != http.StatusOK {
				t.Errorf("Host %q: %d, want 200", tt.host, w.Code)
			}
			if !tt.ok {
				if w.Code != http.StatusMisdirectedRequest {
					t.Errorf("Host %q: %d, want 421", tt.host, w.Code)
				}
				if p := decodeProblem(t, w); p.Key != KeyHostNotAllowed || p.State != nil {
					t.Errorf("problem %+v, want key %s and no state", p, KeyHostNotAllowed)
				}
			}
		})
	}
}

func TestPost_TenMegabytes(t *testing.T) {
	f := newFixture(t, ServerConfig{})
	huge := `{"type":"name_submit","name":"` + strings.Repeat("a", 10<<20) + `"}`
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(huge)
		if chunked {
			body = io.MultiReader(strings.NewReader(huge)) // hides the length: no Content-Length
		}
		req, _ := http.NewRequest(http.MethodPost, f.ts.URL+"/api/action", body)
		req.Header.Set("Content-Type", "application/json")
		resp, err := f.ts.Client().Do(req)
		if err != nil {
			t.Fatalf("chunked=%v: %v", chunked, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("chunked=%v: %d %s, want 413", chunked, resp.StatusCode, b)
		}
		var p Problem
		if err := json.Unmarshal(b, &p); err != nil || p.Key != KeyRequestTooLarge || p.Status != 413 {
			t.Errorf("chunked=%v: problem %s (%v), want key %s", chunked, b, err, KeyRequestTooLarge)
		}
	}
	if st := f.sess.State(); st.Step != session.StepWelcome || st.Name != "" {
		t.Errorf("a rejected body reached the session: step %s", st.Step)
	}
}

func TestPost_MediaType(t *testing.T) {
	f := newFixture(t, ServerConfig{})
	tests := []struct {
		ct   string
		want int
	}{
		{"application/json", http.StatusOK},
		{"application/json; charset=utf-8", http.StatusOK},
		{"", http.StatusUnsupportedMediaType},
		{"text/plain", http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"multipart/form-data; boundary=x", http.StatusUnsupportedMediaType},
		{"application/jsonx", http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/api/action", strings.NewReader(`{"type":"keep_alive"}`))
		if tt.ct != "" {
			r.Header.Set("Content-Type", tt.ct)
		}
		w := f.serve(r)
		if w.Code != tt.want {
			t.Errorf("Content-Type %q: %d, want %d", tt.ct, w.Code, tt.want)
		}
		if tt.want == http.StatusUnsupportedMediaType {
			if p := decodeProblem(t, w); p.Key != KeyUnsupportedMedia {
				t.Errorf("Content-Type %q: key %q, want %s", tt.ct, p.Key, KeyUnsupportedMedia)
			}
		}
	}
}

func TestPost_CrossOrigin(t *testing.T) {
	f := newFixture(t, ServerConfig{})
	tests := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"no origin (not a browser)", nil, http.StatusOK},
		{"same origin", map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"other origin", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"other port", map[string]string{"Origin": "http://127.0.0.1:9999"}, http.StatusForbidden},
		{"null origin", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/action", strings.NewReader(`{"type":"keep_alive"}`))
			r.Header.Set("Content-Type", "application/json")
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			w := f.serve(r)
			if w.Code != tt.want {
				t.Errorf("%d, want %d", w.Code, tt.want)
			}
			if tt.want == http.StatusForbidden {
				if p := decodeProblem(t, w); p.Key != KeyCrossOrigin {
					t.Errorf("key %q, want %s", p.Key, KeyCrossOrigin)
				}
			}
		})
	}
}

func TestPost_Malformed(t *testing.T) {
	f := newFixture(t, ServerConfig{})
	for _, body := range []string{``, `{`, `[]`, `{"type":"start","photo":"AAAA"}`, `{"type":"start"} {"type":"start"}`, `{"type":5}`} {
		w := f.post("/api/action", body)
		if w.Code != http.StatusBadRequest {
			t.Errorf("body %q: %d, want 400", body, w.Code)
			continue
		}
		if p := decodeProblem(t, w); p.Key != KeyBadRequest {
			t.Errorf("body %q: key %q, want %s", body, p.Key, KeyBadRequest)
		}
	}
	if st := f.sess.State(); st.Step != session.StepWelcome {
		t.Errorf("a malformed body changed the session: step %s", st.Step)
	}
}

func TestAction(t *testing.T) {
	f := newFixture(t, ServerConfig{})
	if st := f.act(session.Action{Type: session.ActStart}); st.Step != session.StepConsent {
		t.Fatalf("start: step %s, want consent", st.Step)
	}

	w := f.post("/api/action", `{"type":"submit"}`)
	if w.Code != http.StatusConflict {
		t.Fatalf("submit on consent: %d, want 409", w.Code)
	}
	p := decodeProblem(t, w)
	if p.Key != session.KeyActionNotAllowed || p.State == nil || p.State.Step != session.StepConsent {
		t.Errorf("409 problem %+v, want key %s with the current state", p, session.KeyActionNotAllowed)
	}

	f.act(session.Action{Type: session.ActConsentAccept})
	w = f.post("/api/action", `{"type":"email_submit","email":"not an email"}`)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad email: %d, want 422", w.Code)
	}
	p = decodeProblem(t, w)
	if p.Key != session.KeyEmailInvalid || p.State == nil || p.State.Message == nil || p.State.Message.Key != session.KeyEmailInvalid {
		t.Errorf("422 problem %+v, want key %s in problem and state", p, session.KeyEmailInvalid)
	}
}

func TestPhotos(t *testing.T) {
	f := newFixture(t, ServerConfig{})
	get := func(path string) *httptest.ResponseRecorder {
		return f.serve(httptest.NewRequest(http.MethodGet, path, nil))
	}
	for _, path := range []string{"/api/photos/face.jpg", "/api/photos/pending.jpg", "/api/photos/passwd.jpg", "/api/photos/face.png"} {
		if w := get(path); w.Code != http.StatusNotFound {
			t.Errorf("GET %s with no photo: %d, want 404", path, w.Code)
		}
	}
	f.act(session.Action{Type: session.ActStart})
	f.act(session.Action{Type: session.ActConsentAccept})
	f.act(session.Action{Type: session.ActEmailSubmit, Email: "ana@example.org"})
	f.act(session.Action{Type: session.ActNameSubmit, Name: "Ana Pérez"})
	f.act(session.Action{Type: session.ActIDTypeSubmit, IDType: api.IDPassport})
	f.act(session.Action{Type: session.ActCapture})
	waitFor(t, f.sess, func(st session.State) bool { return st.Pending != nil })

	w := get("/api/photos/pending.jpg")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(w.Body.Bytes(), []byte("\xff\xd8")) {
		t.Errorf("pending photo: %d %q %q, want 200 image/jpeg JPEG bytes", w.Code, w.Header().Get("Content-Type"), w.Body.Bytes())
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("pending photo Cache-Control %q, want no-store", got)
	}
	f.act(session.Action{Type: session.ActAcceptPhoto})
	if w := get("/api/photos/face.jpg"); w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte("fake-jpeg")) {
		t.Errorf("face photo after accept: %d", w.Code)
	}
	if w := get("/api/photos/pending.jpg"); w.Code != http.StatusNotFound {
		t.Errorf("pending photo after accept: %d, want 404", w.Code)
	}
}

func waitFor(t *testing.T, s *session.Session, cond func(session.State) bool) session.State {
	t.Helper()
	ch, cancel := s.Subscribe()
	defer cancel()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case st := <-ch:
			if cond(st) {
				return st
			}
		case <-deadline:
			t.Fatalf("condition not reached; state %+v", s.State())
		}
	}
}

func TestPreview(t *testing.T) {
	f := newFixture(t, ServerConfig{})
	if w := f.serve(httptest.NewRequest(http.MethodGet, "/preview.mjpeg", nil)); w.Code != http.StatusServiceUnavailable {
		t.Errorf("no preview handler: %d, want 503", w.Code)
	} else if p := decodeProblem(t, w); p.Key != KeyCameraUnavailable {
		t.Errorf("key %q, want %s", p.Key, KeyCameraUnavailable)
	}
	mjpeg := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		io.WriteString(w, "--frame\r\n")
	})
	f = newFixture(t, ServerConfig{Preview: mjpeg})
	w := f.serve(httptest.NewRequest(http.MethodGet, "/preview.mjpeg", nil))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "multipart/x-mixed-replace") {
		t.Errorf("preview: %d %q, want the capture handler's stream", w.Code, w.Header().Get("Content-Type"))
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("preview Cache-Control %q, want no-store", got)
	}
}

func TestDemo(t *testing.T) {
	f := newFixture(t, ServerConfig{})
	for _, path := range []string{"/api/demo"} {
		if w := f.serve(httptest.NewRequest(http.MethodGet, path, nil)); w.Code != http.StatusNotFound {
			t.Errorf("GET %s without Demo: %d, want 404", path, w.Code)
		}
	}
	if w := f.post("/api/demo/cradle", `{"present":true}`); w.Code == http.StatusOK {
		t.Errorf("POST /api/demo/cradle without Demo: 200, want an error")
	}

	f = newFixture(t, ServerConfig{})
	f.srv = NewServer(ServerConfig{Demo: f.demo, Log: f.srv.log}, f.sess)
	w := f.serve(httptest.NewRequest(http.MethodGet, "/api/demo", nil))
	var ds demoStatus
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &ds) != nil || len(ds.Scenes) != 2 || ds.Scene != "face" {
		t.Fatalf("GET /api/demo: %d %s", w.Code, w.Body)
	}
	if w := f.post("/api/demo/cradle", `{"present":true}`); w.Code != http.StatusOK {
		t.Fatalf("POST /api/demo/cradle: %d %s", w.Code, w.Body)
	}
	st := waitFor(t, f.sess, func(st session.State) bool { return st.Cradle.Present })
	if !st.Cradle.Present {
		t.Errorf("placing the simulated card did not reach the session")
	}
	if w := f.post("/api/demo/scene", `{"scene":"id_front"}`); w.Code != http.StatusOK || f.demo.Scene() != "id_front" {
		t.Errorf("POST /api/demo/scene: %d scene %q", w.Code, f.demo.Scene())
	}
	w = f.post("/api/demo/scene", `{"scene":"nope"}`)
	if w.Code != http.StatusUnprocessableEntity || decodeProblem(t, w).Key != KeyDemoFailed {
		t.Errorf("unknown scene: %d %s, want 422 %s", w.Code, w.Body, KeyDemoFailed)
	}
	w = f.post("/api/demo/cradle", strings.Repeat(" ", MaxBodyBytes+1)+`{"present":false}`)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("large demo body: %d, want 413", w.Code)
	}
}

func TestEvents_StreamsStateChanges(t *testing.T) {
	f := newFixture(t, ServerConfig{Heartbeat: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.ts.URL+"/api/events", nil)
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q, want text/event-stream", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	events := make(chan session.State)
	pings := make(chan struct{}, 1)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, ": ping"):
				select {
				case pings <- struct{}{}:
				default:
				}
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "state":
				var st session.State
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &st) == nil {
					events <- st
				}
			}
		}
	}()
	next := func(what string, cond func(session.State) bool) session.State {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case st, ok := <-events:
				if !ok {
					t.Fatalf("stream ended waiting for %s", what)
				}
				if cond(st) {
					return st
				}
			case <-deadline:
				t.Fatalf("no event for %s", what)
			}
		}
	}
	first := next("the current state", func(session.State) bool { return true })
	if first.Step != session.StepWelcome {
		t.Errorf("first event step %s, want welcome", first.Step)
	}
	f.act(session.Action{Type: session.ActStart})
	st := next("the state after start", func(st session.State) bool { return st.Rev > first.Rev })
	if st.Step != session.StepConsent {
		t.Errorf("event after start: step %s, want consent", st.Step)
	}
	select {
	case <-pings:
	case <-time.After(10 * time.Second):
		t.Errorf("no heartbeat comment")
	}

	// Close ends the stream, so http.Server.Shutdown is not held up.
	f.srv.Close()
	for range events {
	}
}
