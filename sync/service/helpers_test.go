package service

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
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
	otherDevice  = "kiosk-2"
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
	// certs are the client certificates of the enrolled devices.
	certs map[string]tls.Certificate
}

// newFixture starts a service on a fresh data dir with a generated key and
// enrolls two devices through POST /v1/enroll. edit, when not nil, adjusts
// the options first.
func newFixture(t *testing.T, edit func(*Options)) *fixture {
	t.Helper()
	key, err := envelope.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: t.TempDir(), key: key, clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)},
		certs: map[string]tls.Certificate{}}
	f.opts = Options{
		DataDir:              f.dir,
		Keys:                 envelope.KeyRing{key.KeyID: key},
		Accounts:             []string{"listed@example.org"},
		ReviewPasswordSHA256: sha256.Sum256([]byte(testPassword)),
		Now:                  f.clock.Now,
	}
	if edit != nil {
		edit(&f.opts)
	}
	f.start()
	t.Cleanup(f.stop)
	f.enroll(testDevice)
	f.enroll(otherDevice)
	return f
}

func (f *fixture) start() {
	f.t.Helper()
	srv, err := New(f.opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.srv = srv
	f.ts = newTLSServer(srv.Handler())
}

// newTLSServer serves h over HTTPS with httptest's certificate, asking for
// client certificates as verifyd does.
func newTLSServer(h http.Handler) *httptest.Server {
	ts := httptest.NewUnstartedServer(h)
	ts.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS13}
	ts.StartTLS()
	return ts
}

// deviceSigner is the device's Ed25519 signing key, derived from its id so
// that seal can sign for any device without a fixture at hand.
func deviceSigner(device string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("service test signing key of " + device))
	return ed25519.NewKeyFromSeed(seed[:])
}

// enrollRequest makes a device's TLS key and a complete enrollment request.
func enrollRequest(t *testing.T, code, device string, signer ed25519.PrivateKey) (api.EnrollRequest, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: device}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return api.EnrollRequest{
		Code: code, DeviceID: device, CSR: csr,
		SigningKey: signer.Public().(ed25519.PublicKey),
		Proof:      ed25519.Sign(signer, api.EnrollProofMessage(device, csr)),
	}, key
}

// postEnroll sends an enrollment request without a client certificate.
func (f *fixture) postEnroll(req api.EnrollRequest) (*http.Response, []byte) {
	f.t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		f.t.Fatal(err)
	}
	r, err := http.NewRequest(http.MethodPost, f.ts.URL+"/v1/enroll", bytes.NewReader(b))
	if err != nil {
		f.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	return f.doAs("", r)
}

// enroll issues a code for device and redeems it, as kioskctl enroll does,
// and keeps the certificate for doAs.
func (f *fixture) enroll(device string) api.EnrollResponse {
	f.t.Helper()
	code, _, err := AddDevice(f.dir, device, time.Hour, f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	req, key := enrollRequest(f.t, code, device, deviceSigner(device))
	resp, body := f.postEnroll(req)
	if resp.StatusCode != http.StatusCreated {
		f.t.Fatalf("enroll %s: status %d, want 201; body %s", device, resp.StatusCode, body)
	}
	var out api.EnrollResponse
	if err := json.Unmarshal(body, &out); err != nil {
		f.t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(out.Certificate)
	if err != nil {
		f.t.Fatal(err)
	}
	f.certs[device] = tls.Certificate{Certificate: [][]byte{out.Certificate}, PrivateKey: key, Leaf: leaf}
	return out
}

// client returns an HTTPS client presenting cert (none when nil). Each
// call makes a new transport, so no connection is shared between devices.
func (f *fixture) client(cert *tls.Certificate) *http.Client {
	base := f.ts.Client().Transport.(*http.Transport)
	tr := base.Clone()
	tr.TLSClientConfig = base.TLSClientConfig.Clone()
	if cert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: tr}
}

// deviceClient is a client presenting device's certificate.
func (f *fixture) deviceClient(device string) *http.Client {
	c := f.certs[device]
	return f.client(&c)
}

// doAs sends r with device's client certificate ("" for none) and returns
// the answer with its body read.
func (f *fixture) doAs(device string, r *http.Request) (*http.Response, []byte) {
	f.t.Helper()
	var cert *tls.Certificate
	if device != "" {
		c, ok := f.certs[device]
		if !ok {
			f.t.Fatalf("device %s is not enrolled in this fixture", device)
		}
		cert = &c
	}
	c := f.client(cert)
	defer c.CloseIdleConnections()
	resp, err := c.Do(r)
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

// withCert marks r, for a handler called directly, as arriving over TLS
// with device's certificate.
func (f *fixture) withCert(r *http.Request, device string) {
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{f.certs[device].Leaf}}
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
	f.ts = newTLSServer(f.srv.Handler())
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

// seal seals and signs p as its device does (envelope v2).
func seal(t *testing.T, pub *envelope.PublicKey, p *api.Profile) []byte {
	t.Helper()
	env, err := envelope.SealSigned(pub, deviceSigner(p.DeviceID), p)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// resign replaces the signature of a v2 envelope with one by key over the
// bytes as they are now (the context is the envelope package's).
func resign(t *testing.T, env []byte, key ed25519.PrivateKey) []byte {
	t.Helper()
	body := bytes.Clone(env[:len(env)-envelope.SignatureSize])
	sig, err := key.Sign(nil, body, &ed25519.Options{Context: "idkiosk envelope v2"})
	if err != nil {
		t.Fatal(err)
	}
	return append(body, sig...)
}

// sealUnsigned seals p in the unsigned v1 format of older kiosks.
func sealUnsigned(t *testing.T, pub *envelope.PublicKey, p *api.Profile) []byte {
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
	r.Header.Set(api.HeaderDeviceID, testDevice)
	return r
}

// do sends r as testDevice and returns the answer with its body read.
// Requests to the review pages carry the certificate too; they ignore it.
func (f *fixture) do(r *http.Request) (*http.Response, []byte) {
	f.t.Helper()
	return f.doAs(testDevice, r)
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
	r.Header.Set(api.HeaderDeviceID, testDevice)
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

func sha256Sum(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
