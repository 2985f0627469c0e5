package service

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/api/apitest"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

const (
	testDevice   = "kiosk-1"
	testToken    = "token-of-kiosk-1"
	otherDevice  = "kiosk-2"
	otherToken   = "token-of-kiosk-2"
	testPassword = "correct horse battery staple"
	// A name in three scripts plus a combining mark, as the review page
	// must show it.
	testName  = "Zoë Ἀθηνᾶ 李小龍 مريم"
	testEmail = "Learner@Example.org"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	t     *testing.T
	dir   string
	key   *envelope.PrivateKey
	clock *clock
	opts  Options
	srv   *Server
	ts    *httptest.Server
}

// newFixture starts a service on a fresh data dir with two devices and a
// generated key. edit, when not nil, adjusts the options first.
func newFixture(t *testing.T, edit func(*Options)) *fixture {
	t.Helper()
	key, err := envelope.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: t.TempDir(), key: key, clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}}
	f.opts = Options{
		DataDir: f.dir,
		Keys:    envelope.KeyRing{key.KeyID: key},
		Devices: DeviceMap{
			testDevice:  sha256.Sum256([]byte(testToken)),
			otherDevice: sha256.Sum256([]byte(otherToken)),
		},
		Accounts:             []string{"listed@example.org"},
		ReviewPasswordSHA256: sha256.Sum256([]byte(testPassword)),
		Now:                  f.clock.Now,
	}
	if edit != nil {
		edit(&f.opts)
	}
	f.start()
	t.Cleanup(f.stop)
	return f
}

func (f *fixture) start() {
	f.t.Helper()
	srv, err := New(f.opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.srv = srv
	f.ts = httptest.NewServer(srv.Handler())
}

func (f *fixture) stop() {
	if f.ts == nil {
		return
	}
	f.ts.Close()
	if err := f.srv.Close(); err != nil {
		f.t.Errorf("Close: %v", err)
	}
	f.ts = nil
}

// setBeforeCommit installs the commit hook. The HTTP server is started
// again after the hook is set, so that its goroutines see the hook without
// a data race.
func (f *fixture) setBeforeCommit(h func(id string)) {
	f.ts.Close()
	f.srv.beforeCommit = h
	f.ts = httptest.NewServer(f.srv.Handler())
}

// restart closes the server and its store and opens them again from disk.
func (f *fixture) restart() {
	f.t.Helper()
	f.stop()
	f.start()
}

func newProfile(t *testing.T, device, email string, twoSided bool) *api.Profile {
	t.Helper()
	return apitest.Profile(t, apitest.Options{
		DeviceID: device,
		Email:    email,
		FullName: testName,
		TwoSided: twoSided,
		// A minute before the fixture clock starts.
		Created: time.Date(2026, 3, 1, 8, 59, 0, 0, time.UTC),
	})
}

func seal(t *testing.T, pub *envelope.PublicKey, p *api.Profile) []byte {
	t.Helper()
	env, err := envelope.Seal(pub, p)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// putRequest is a well-formed PUT of env for profile id from testDevice.
func (f *fixture) putRequest(id string, env []byte) *http.Request {
	r, err := http.NewRequest(http.MethodPut, f.ts.URL+"/v1/profiles/"+id, bytes.NewReader(env))
	if err != nil {
		f.t.Fatal(err)
	}
	r.Header.Set("Content-Type", api.EnvelopeMediaType)
	r.Header.Set(api.HeaderIdempotencyKey, id)
	r.Header.Set(api.HeaderContentDigest, api.ContentDigest(env))
	authAs(r, testDevice, testToken)
	return r
}

func authAs(r *http.Request, device, token string) {
	r.Header.Set(api.HeaderDeviceID, device)
	r.Header.Set("Authorization", "Bearer "+token)
}

// do sends r and returns the answer with its body read.
func (f *fixture) do(r *http.Request) (*http.Response, []byte) {
	f.t.Helper()
	resp, err := f.ts.Client().Do(r)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, body
}

// put stores p (sealed to the fixture key) and requires a 201.
func (f *fixture) put(p *api.Profile) []byte {
	f.t.Helper()
	env := seal(f.t, f.key.Public(), p)
	resp, body := f.do(f.putRequest(p.ID, env))
	if resp.StatusCode != http.StatusCreated {
		f.t.Fatalf("PUT %s: status %d, want 201; body %s", p.ID, resp.StatusCode, body)
	}
	return body
}

// deviceRequest is a request authenticated as testDevice.
func (f *fixture) deviceRequest(method, path string, body any) *http.Request {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	r, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	authAs(r, testDevice, testToken)
	return r
}

// reviewRequest is a request with the reviewer's Basic credentials.
func (f *fixture) reviewRequest(method, path string, body io.Reader) *http.Request {
	f.t.Helper()
	r, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	r.SetBasicAuth("reviewer", testPassword)
	return r
}

// getJSON GETs path and decodes a 200 answer into v.
func (f *fixture) getJSON(r *http.Request, v any) {
	f.t.Helper()
	resp, body := f.do(r)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("%s %s: status %d, want 200; body %s", r.Method, r.URL.Path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		f.t.Fatalf("%s %s: %v; body %s", r.Method, r.URL.Path, err, body)
	}
}

func (f *fixture) summaries() []ReviewSummary {
	f.t.Helper()
	var out []ReviewSummary
	f.getJSON(f.reviewRequest("GET", "/review/api/profiles", nil), &out)
	return out
}

func (f *fixture) status(id string) api.ProfileStatus {
	f.t.Helper()
	var st api.ProfileStatus
	f.getJSON(f.deviceRequest("GET", "/v1/profiles/"+id+"/status", nil), &st)
	return st
}

// problemOf checks that an error answer is an RFC 9457 problem with the
// given status and returns it.
func problemOf(t *testing.T, resp *http.Response, body []byte, status int) api.Problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p api.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body: %v; body %s", err, body)
	}
	if p.Status != status || p.Title == "" || p.Type == "" {
		t.Errorf("problem %+v: want status %d, a title and a type", p, status)
	}
	return p
}
