package client

import (
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
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/api"
)

const (
	testToken  = "tok-SECRET-6a1f0c"
	testDevice = "kiosk-07"
)

// testCtx guards against a hang (a Retry-After that was not capped would
// sleep for an hour); it is not a timing assertion.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func newTestClient(t *testing.T, baseURL string, mod func(*Options)) *Client {
	t.Helper()
	opts := Options{
		BaseURL:  baseURL,
		DeviceID: testDevice,
		Token:    testToken,
		Timeout:  10 * time.Second,
		RetryMax: 2,
		MinWait:  time.Millisecond,
		MaxWait:  5 * time.Millisecond,
		Version:  "1.2.3",
	}
	if mod != nil {
		mod(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, code int, title string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(api.Problem{Title: title, Status: code, Detail: "detail for " + title})
}

// storeOK answers a PUT as the service would on success.
func storeOK(w http.ResponseWriter, r *http.Request, code int) {
	body, _ := io.ReadAll(r.Body)
	writeJSON(w, code, api.StoreResult{ID: r.PathValue("id"), Received: time.Now(), Digest: api.ContentDigest(body)})
}

// hangUp drops the connection without an answer: a transport error.
func hangUp(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	conn.Close()
}

func TestPutProfile_RetryRules(t *testing.T) {
	for _, tt := range []struct {
		name         string
		code         int // 0: drop the connection
		retryAfter   string
		wantAttempts int
		wantOK       bool
		wantRetry    bool
		wantAfter    time.Duration
	}{
		{name: "200", code: 200, wantAttempts: 1, wantOK: true},
		{name: "201", code: 201, wantAttempts: 1, wantOK: true},
		{name: "408 request timeout", code: 408, wantAttempts: 3, wantRetry: true},
		{name: "409 in flight", code: 409, wantAttempts: 3, wantRetry: true},
		{name: "429 with Retry-After", code: 429, retryAfter: "3600", wantAttempts: 3, wantRetry: true, wantAfter: time.Hour},
		{name: "500", code: 500, wantAttempts: 3, wantRetry: true},
		{name: "501 not implemented", code: 501, wantAttempts: 1},
		{name: "503 with Retry-After", code: 503, retryAfter: "2", wantAttempts: 3, wantRetry: true, wantAfter: 2 * time.Second},
		{name: "400 malformed", code: 400, wantAttempts: 1},
		{name: "401 bad token", code: 401, wantAttempts: 1},
		{name: "413 too large", code: 413, wantAttempts: 1},
		{name: "422 digest mismatch", code: 422, wantAttempts: 1},
		{name: "302 portal redirect, not followed", code: 302, wantAttempts: 3, wantRetry: true},
		{name: "transport error", code: 0, wantAttempts: 3, wantRetry: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var attempts atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("PUT /v1/profiles/{id}", func(w http.ResponseWriter, r *http.Request) {
				attempts.Add(1)
				switch {
				case tt.code == 0:
					hangUp(t, w)
				case tt.code < 300:
					storeOK(w, r, tt.code)
				case tt.code < 400:
					http.Redirect(w, r, "/portal/login", tt.code)
				default:
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					writeProblem(w, tt.code, http.StatusText(tt.code))
				}
			})
			mux.HandleFunc("/portal/", func(w http.ResponseWriter, r *http.Request) {
				t.Errorf("client followed a redirect to %s %s", r.Method, r.URL.Path)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			c := newTestClient(t, srv.URL, nil)

			id := uuid.NewString()
			res, err := c.PutProfile(testCtx(t), id, []byte("IDKE sealed bytes"))
			if got := int(attempts.Load()); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
			if tt.wantOK {
				if err != nil || res.ID != id {
					t.Fatalf("PutProfile = %+v, %v; want a result for %s", res, err, id)
				}
				return
			}
			if err == nil {
				t.Fatal("PutProfile: err = nil, want an error")
			}
			retry, after := Retryable(err)
			if retry != tt.wantRetry || after != tt.wantAfter {
				t.Errorf("Retryable(%v) = %v, %v; want %v, %v", err, retry, after, tt.wantRetry, tt.wantAfter)
			}
			var se *StatusError
			if tt.code != 0 {
				if !errors.As(err, &se) || se.Code != tt.code {
					t.Fatalf("err = %v, want a *StatusError with code %d", err, tt.code)
				}
				if tt.code >= 400 && se.Problem.Detail != "detail for "+http.StatusText(tt.code) {
					t.Errorf("Problem = %+v, want the decoded problem document", se.Problem)
				}
			} else if errors.As(err, &se) {
				t.Errorf("transport error came back as %v", se)
			}
		})
	}
}

// The request carries every header the contract requires, and a retry
// resends the same body.
func TestPutProfile_HeadersAndRewoundBody(t *testing.T) {
	envelope := bytes.Repeat([]byte("sealed "), 1000)
	id := uuid.NewString()
	var mu sync.Mutex
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, body)
		n := len(bodies)
		mu.Unlock()
		for _, h := range []struct{ name, want string }{
			{"Authorization", "Bearer " + testToken},
			{api.HeaderDeviceID, testDevice},
			{api.HeaderIdempotencyKey, id},
			{"Content-Type", api.EnvelopeMediaType},
			{"User-Agent", "idkiosk/1.2.3"},
		} {
			if got := r.Header.Get(h.name); got != h.want {
				t.Errorf("attempt %d: %s = %q, want %q", n, h.name, got, h.want)
			}
		}
		if err := api.CheckContentDigest(r.Header.Get(api.HeaderContentDigest), body); err != nil {
			t.Errorf("attempt %d: %v", n, err)
		}
		if r.Method != http.MethodPut || r.URL.Path != "/base/v1/profiles/"+id {
			t.Errorf("request %s %s, want PUT /base/v1/profiles/%s", r.Method, r.URL.Path, id)
		}
		if n == 1 {
			writeProblem(w, 503, "warming up")
			return
		}
		writeJSON(w, 201, api.StoreResult{ID: id, Digest: api.ContentDigest(body)})
	}))
	defer srv.Close()

	c := newTestClient(t, srv.URL+"/base/", nil)
	if _, err := c.PutProfile(testCtx(t), id, envelope); err != nil {
		t.Fatalf("PutProfile: %v", err)
	}
	if len(bodies) != 2 || !bytes.Equal(bodies[0], envelope) || !bytes.Equal(bodies[1], envelope) {
		t.Errorf("server saw %d bodies; want 2, both the full envelope (%d bytes)", len(bodies), len(envelope))
	}
}

// A 2xx that is not the service's answer must not count as delivered.
func TestPutProfile_BadSuccessIsRetryable(t *testing.T) {
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"captive portal page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>Welcome to Airport Wi-Fi</html>")
		}},
		{"other digest", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 201, api.StoreResult{ID: r.PathValue("id"), Digest: api.ContentDigest([]byte("else"))})
		}},
		{"other id", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			writeJSON(w, 201, api.StoreResult{ID: uuid.NewString(), Digest: api.ContentDigest(body)})
		}},
		{"oversized body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(201)
			w.Write(bytes.Repeat([]byte(" "), 4*MaxResponseBytes))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle("PUT /v1/profiles/{id}", tt.handler)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			c := newTestClient(t, srv.URL, func(o *Options) { o.RetryMax = 0 })
			_, err := c.PutProfile(testCtx(t), uuid.NewString(), []byte("sealed"))
			if !errors.Is(err, ErrBadResponse) && !errors.Is(err, ErrResponseTooLarge) {
				t.Fatalf("PutProfile = %v, want ErrBadResponse or ErrResponseTooLarge", err)
			}
			if retry, _ := Retryable(err); !retry {
				t.Errorf("Retryable(%v) = false, want true", err)
			}
		})
	}
}

func TestResponseBodyIsLimited(t *testing.T) {
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for range 256 { // 16 MiB if the client kept reading
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, func(o *Options) { o.RetryMax = 0 })
	_, err := c.Status(testCtx(t), uuid.NewString())
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("Status with a 16 MiB answer = %v, want ErrResponseTooLarge", err)
	}
}

func TestRetryAfterIsCappedAtMaxWait(t *testing.T) {
	resp := func(v string) *http.Response {
		return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {v}}}
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	backoff := newBackoff(func() time.Time { return now })
	for _, tt := range []struct {
		name string
		resp *http.Response
		want time.Duration
	}{
		{"seconds above max", resp("3600"), 30 * time.Second},
		{"seconds below max", resp("7"), 7 * time.Second},
		{"date above max", resp(now.Add(time.Hour).Format(http.TimeFormat)), 30 * time.Second},
		{"date below max", resp(now.Add(10 * time.Second).Format(http.TimeFormat)), 10 * time.Second},
		{"absurd seconds", resp("99999999999999999999"), 30 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := backoff(time.Second, 30*time.Second, 0, tt.resp); got != tt.want {
				t.Errorf("backoff = %v, want %v", got, tt.want)
			}
		})
	}
}

// With a one-hour Retry-After on every answer, the call still makes all its
// attempts and ends: the waits were capped at MaxWait.
func TestRetryAfter_CappedEndToEnd(t *testing.T) {
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		w.Header().Set("Retry-After", "3600")
		writeProblem(w, 429, "slow down")
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, nil)
	_, err := c.Lookup(testCtx(t), "someone@example.org")
	if !errors.Is(err, ErrRateLimited) || attempts.Load() != 3 {
		t.Errorf("Lookup = %v after %d attempts; want ErrRateLimited after 3", err, attempts.Load())
	}
}

func TestFullJitter_Bounds(t *testing.T) {
	for _, tt := range []struct {
		attempt int
		ceiling time.Duration
	}{
		{0, time.Second}, {1, 2 * time.Second}, {3, 8 * time.Second}, {10, 30 * time.Second}, {200, 30 * time.Second},
	} {
		var sawAboveHalf bool
		for range 200 {
			d := fullJitter(time.Second, 30*time.Second, tt.attempt)
			if d < 0 || d > tt.ceiling {
				t.Fatalf("fullJitter(attempt %d) = %v, want within [0, %v]", tt.attempt, d, tt.ceiling)
			}
			sawAboveHalf = sawAboveHalf || d > tt.ceiling/2
		}
		if !sawAboveHalf {
			t.Errorf("fullJitter(attempt %d): 200 draws all below %v, want spread up to %v", tt.attempt, tt.ceiling/2, tt.ceiling)
		}
	}
}

// The log must never show the token or the query string, even when the
// base URL carries a secret in its query (some gateways want ?code=...).
func TestLogNeverShowsTokenOrQuery(t *testing.T) {
	const querySecret = "QUERY-SECRET-91ab"
	const email = "private.person@example.org"
	var sawQuery atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		sawQuery.Store(strings.Contains(r.URL.RawQuery, querySecret))
		switch r.URL.Path {
		case "/v1/accounts/lookup":
			writeProblem(w, 503, "down")
		default:
			hangUp(t, w)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newTestClient(t, srv.URL+"/?code="+querySecret, func(o *Options) { o.Log = log })

	_, lookupErr := c.Lookup(testCtx(t), email)
	_, putErr := c.PutProfile(testCtx(t), uuid.NewString(), []byte("sealed"))

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // connection refused from here on
	c2 := newTestClient(t, dead.URL+"/?code="+querySecret, func(o *Options) { o.Log = log })
	_, refusedErr := c2.Status(testCtx(t), uuid.NewString())

	if !sawQuery.Load() {
		t.Fatal("the server never saw the base URL's query; the test proves nothing")
	}
	out := logs.String()
	if !strings.Contains(out, "retrying request") || !strings.Contains(out, "/v1/accounts/lookup") {
		t.Fatalf("log has no retry lines with paths; the test proves nothing:\n%s", out)
	}
	for _, secret := range []string{testToken, querySecret, "code=", email, "Bearer"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
		for _, err := range []error{lookupErr, putErr, refusedErr} {
			if err == nil {
				t.Fatal("a call that should have failed succeeded")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains %q", err, secret)
			}
		}
	}
}

func TestStatusLookupHeartbeat(t *testing.T) {
	id := uuid.NewString()
	updated := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	var hb api.Heartbeat
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/profiles/{id}/status", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != id {
			writeProblem(w, 404, "no such profile")
			return
		}
		writeJSON(w, 200, api.ProfileStatus{ID: id, State: api.StateRejected, Reason: "blurry", Updated: updated})
	})
	mux.HandleFunc("POST /v1/accounts/lookup", func(w http.ResponseWriter, r *http.Request) {
		var req api.LookupRequest
		json.NewDecoder(r.Body).Decode(&req)
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("lookup Content-Type = %q", r.Header.Get("Content-Type"))
		}
		writeJSON(w, 200, api.LookupResponse{Exists: req.Email == "known@example.org"})
	})
	mux.HandleFunc("POST /v1/devices/{id}/heartbeat", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != testDevice || r.Header.Get(api.HeaderDeviceID) != testDevice {
			t.Errorf("heartbeat for %q with Device-Id %q, want %q", r.PathValue("id"), r.Header.Get(api.HeaderDeviceID), testDevice)
		}
		json.NewDecoder(r.Body).Decode(&hb)
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newTestClient(t, srv.URL, nil)
	ctx := testCtx(t)

	st, err := c.Status(ctx, id)
	if err != nil || st.State != api.StateRejected || st.Reason != "blurry" || !st.Updated.Equal(updated) {
		t.Errorf("Status = %+v, %v; want rejected, blurry, %v", st, err, updated)
	}
	if _, err := c.Status(ctx, uuid.NewString()); !errors.Is(err, ErrNotFound) {
		t.Errorf("Status(unknown) = %v, want ErrNotFound", err)
	}
	for email, want := range map[string]bool{"known@example.org": true, "new@example.org": false} {
		if res, err := c.Lookup(ctx, email); err != nil || res.Exists != want {
			t.Errorf("Lookup(%s) = %+v, %v; want exists %v", email, res, err, want)
		}
	}
	sent := api.Heartbeat{Version: "1.2.3", Health: "ok", QueueDepth: 4, Checks: map[string]string{"camera": "ok"}, Sent: updated}
	if err := c.Heartbeat(ctx, sent); err != nil {
		t.Fatalf("Heartbeat: %v", err)
	}
	if hb.QueueDepth != 4 || hb.Checks["camera"] != "ok" || hb.Health != "ok" {
		t.Errorf("server got heartbeat %+v, want %+v", hb, sent)
	}
}

func TestInvalidRequestsAreNotSent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request sent: %s %s", r.Method, r.URL.Path)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, nil)
	ctx := testCtx(t)
	for name, err := range map[string]error{
		"put with a path id": func() error { _, err := c.PutProfile(ctx, "../../admin", []byte("x")); return err }(),
		"put braced uuid":    func() error { _, err := c.PutProfile(ctx, "{"+uuid.NewString()+"}", []byte("x")); return err }(),
		"put empty envelope": func() error { _, err := c.PutProfile(ctx, uuid.NewString(), nil); return err }(),
		"status bad id":      func() error { _, err := c.Status(ctx, "x"); return err }(),
		"lookup no email":    func() error { _, err := c.Lookup(ctx, ""); return err }(),
	} {
		if !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: %v, want ErrInvalidRequest", name, err)
		}
		if retry, _ := Retryable(err); retry {
			t.Errorf("%s: Retryable = true, want false", name)
		}
	}
}

func TestNew_RejectsBadOptions(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"no scheme", Options{BaseURL: "verify.example.org", DeviceID: "d", Token: "t"}},
		{"ftp", Options{BaseURL: "ftp://verify.example.org", DeviceID: "d", Token: "t"}},
		{"credentials in url", Options{BaseURL: "https://u:p@verify.example.org", DeviceID: "d", Token: "t"}},
		{"no token", Options{BaseURL: "https://verify.example.org", DeviceID: "d"}},
		{"no device", Options{BaseURL: "https://verify.example.org", Token: "t"}},
		{"negative retries", Options{BaseURL: "https://verify.example.org", DeviceID: "d", Token: "t", RetryMax: -1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts); err == nil {
				t.Error("New: err = nil, want an error")
			} else if strings.Contains(err.Error(), "p@") {
				t.Errorf("error %q repeats the credentials", err)
			}
		})
	}
}
