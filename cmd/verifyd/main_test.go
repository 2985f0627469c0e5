package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/device/identity"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/client"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/service"
)

// logSink collects the JSON log and reports the listening address.
type logSink struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addrc chan string
}

func (l *logSink) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(b)
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "verifyd listening" {
			l.addrc <- rec.Addr
		}
	}
	return len(b), nil
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// runOut runs c and returns its stdout and stderr.
func runOut(t *testing.T, c config) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), c, &out, &errOut); err != nil {
		t.Fatalf("run %+v: %v", c, err)
	}
	return strings.TrimSpace(out.String()), errOut.String()
}

func testConfig(dir string) config {
	return config{
		listen:   "127.0.0.1:0",
		data:     filepath.Join(dir, "data"),
		keys:     filepath.Join(dir, "keys"),
		logLevel: "debug",
		codeTTL:  time.Hour,
	}
}

// started is a running verifyd.
type started struct {
	base string
	logs *logSink
	stop func() error
}

func start(t *testing.T, c config) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logSink{addrc: make(chan string, 1)}
	done := make(chan error, 1)
	go func() { done <- run(ctx, c, io.Discard, logs) }()
	s := &started{logs: logs}
	select {
	case addr := <-logs.addrc:
		s.base = "https://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("verifyd stopped before listening: %v\n%s", err, logs)
	}
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(time.Minute):
				stopErr = errors.New("verifyd did not stop within a minute of its context ending")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// enroll does what kioskctl enroll does, pinning the CA by the fingerprint
// -add-device printed.
func enroll(t *testing.T, base, code, fingerprint, device string) *identity.Identity {
	t.Helper()
	data := t.TempDir()
	p, err := identity.Prepare(data, device)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := p.Signer().Sign(rand.Reader, api.EnrollProofMessage(device, p.CSR), crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := hex.DecodeString(fingerprint)
	var pinned *x509.Certificate
	resp, err := client.Enroll(context.Background(), base, client.FingerprintTLS(fp, func(c *x509.Certificate) { pinned = c }),
		api.EnrollRequest{Code: code, DeviceID: device, CSR: p.CSR, SigningKey: p.SigningKey, Proof: proof})
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	keys, _ := json.Marshal(resp.Keys)
	id, err := p.Complete(identity.Enrollment{ServiceURL: base, Certificate: resp.Certificate,
		ServiceCA: []*x509.Certificate{pinned}, ServiceKeys: keys, Enrolled: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func kioskClient(t *testing.T, base string, id *identity.Identity) *client.Client {
	t.Helper()
	c, err := client.New(client.Options{BaseURL: base, DeviceID: id.DeviceID, TLS: client.PinnedTLS(id.ServiceRoots(), id.ClientCertificate())})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var fingerprintRE = regexp.MustCompile(`-ca-fingerprint ([0-9a-f]{64})`)

// TestVerifyd_EndToEnd goes through what an operator does: make a key,
// issue a code, start the service, enroll a kiosk, receive a profile,
// review it, revoke the kiosk, stop.
func TestVerifyd_EndToEnd(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir)
	gen := c
	gen.genkey = true
	pubPath, _ := runOut(t, gen)
	if _, err := envelope.LoadPublicKey(pubPath); err != nil {
		t.Fatalf("-genkey printed no usable .pub path: %v", err)
	}
	add := c
	add.addDevice = "kiosk-7"
	code, hint := runOut(t, add)
	m := fingerprintRE.FindStringSubmatch(hint)
	if m == nil || !strings.Contains(hint, "kioskctl enroll") {
		t.Fatalf("-add-device printed no enrollment hint with a CA fingerprint:\n%s", hint)
	}
	c.passwordFile = filepath.Join(dir, "password")
	if err := os.WriteFile(c.passwordFile, []byte("review-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	v := start(t, c)
	id := enroll(t, v.base, code, m[1], "kiosk-7")
	kc := kioskClient(t, v.base, id)
	keys, err := kc.ServiceKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kl, err := envelope.ParseServiceKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	p := profile(t, "kiosk-7")
	env, err := envelope.SealSigned(kl.Current(), id.Signer(), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kc.PutProfile(context.Background(), p.ID, env); err != nil {
		t.Fatalf("PUT over mTLS: %v", err)
	}

	// The review page is HTTPS too; a reviewer's browser trusts tls-ca.crt.
	req, _ := http.NewRequest("GET", v.base+"/review/api/profiles/"+p.ID, nil)
	req.SetBasicAuth("reviewer", "review-pw")
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: client.PinnedTLS(id.ServiceRoots(), tls.Certificate{})}}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got service.ReviewProfile
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || got.FullName != p.FullName || got.Email != p.Email {
		t.Errorf("review API: %q <%s> (%v), want %q <%s>", got.FullName, got.Email, err, p.FullName, p.Email)
	}

	// Revoked while running: the next request is refused, 403.
	revoke := c
	revoke.revokeDevice = "kiosk-7"
	runOut(t, revoke)
	p2 := profile(t, "kiosk-7")
	env2, _ := envelope.SealSigned(kl.Current(), id.Signer(), p2)
	_, err = kc.PutProfile(context.Background(), p2.ID, env2)
	var se *client.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusForbidden {
		t.Errorf("PUT after -revoke-device: err = %v, want a 403", err)
	}

	if err := v.stop(); err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	for what, secret := range map[string]string{"name": p.FullName, "email": p.Email, "code": code, "normalized code": service.NormalizeCode(code)} {
		if strings.Contains(v.logs.String(), secret) {
			t.Errorf("log holds the %s", what)
		}
	}
	if strings.Contains(v.logs.String(), "PRIVATE KEY") {
		t.Error("log holds a private key")
	}
}

// Rotation with the binary's flags: -genkey adds a key, the newest is
// current unless -current-key names another, and the old key stays in
// the ring.
func TestVerifyd_GenkeyRotates(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir)
	gen := c
	gen.genkey = true
	firstPub, _ := runOut(t, gen)
	secondPub, _ := runOut(t, gen)
	first, _ := envelope.LoadPublicKey(firstPub)
	second, _ := envelope.LoadPublicKey(secondPub)

	for _, tt := range []struct {
		name, current, want string
	}{
		{"newest is current", "", second.KeyID},
		{"-current-key", first.KeyID, first.KeyID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cc := c
			cc.currentKey = tt.current
			cc.data = filepath.Join(t.TempDir(), "data")
			add := cc
			add.addDevice = "kiosk-1"
			code, hint := runOut(t, add)
			v := start(t, cc)
			id := enroll(t, v.base, code, fingerprintRE.FindStringSubmatch(hint)[1], "kiosk-1")
			keys, err := kioskClient(t, v.base, id).ServiceKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if keys.Current != tt.want || len(keys.Keys) != 2 {
				t.Errorf("current %s of %d keys, want %s of 2", keys.Current, len(keys.Keys), tt.want)
			}
		})
	}
}

func TestVerifyd_Errors(t *testing.T) {
	dir := t.TempDir()
	withKey := testConfig(dir)
	gen := withKey
	gen.genkey = true
	runOut(t, gen)
	tests := []struct {
		name string
		edit func(*config)
		want string
	}{
		{"bad log level", func(c *config) { c.logLevel = "loud" }, "-log-level"},
		{"no keys", func(c *config) { c.keys = t.TempDir() }, "-genkey"},
		{"current key not in the ring", func(c *config) { c.currentKey = "0011223344556677" }, "not in the key ring"},
		{"revoke a device never enrolled", func(c *config) { c.revokeDevice = "kiosk-9" }, "not enrolled"},
		{"add a device with a bad id", func(c *config) { c.addDevice = "../x" }, "device id"},
		{"tls cert without its key", func(c *config) { c.tlsCert = filepath.Join(dir, "none.pem") }, "-tls-cert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := withKey
			tt.edit(&c)
			err := run(context.Background(), c, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func profile(t *testing.T, device string) *api.Profile {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 32, 24)), nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	p := &api.Profile{
		ID: uuid.NewString(), DeviceID: device, Created: now, Language: "es",
		Email: "ana@example.org", FullName: "Ana María Núñez", IDType: api.IDPassport,
	}
	for _, k := range api.RequiredPhotos(false) {
		p.Photos = append(p.Photos, api.Photo{Kind: k, Width: 32, Height: 24, Captured: now, Source: "sim", JPEG: buf.Bytes()})
	}
	return p
}
