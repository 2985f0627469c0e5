package service

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

// certFromOtherCA is a client certificate for device made by a CA the
// service never heard of, with the same names as its own.
func certFromOtherCA(t *testing.T, device string, now time.Time) tls.Certificate {
	t.Helper()
	ca, err := loadOrCreateCA(t.TempDir(), "ca.crt", "ca.key", "idkiosk device CA", now)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.issueDevice(device, key.Public(), now)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
}

func TestAuth_RefusesWithoutAValidCertificate(t *testing.T) {
	f := newFixture(t, nil)
	// A certificate for a device that was never enrolled, from the right CA.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	unknown, err := f.srv.ca.issueDevice("kiosk-9", key.Public(), f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cert    *tls.Certificate
		header  string // Device-Id
		advance time.Duration
		status  int
	}{
		{"no certificate", nil, testDevice, 0, 401},
		{"certificate from another CA", ptr(certFromOtherCA(t, testDevice, f.clock.Now())), testDevice, 0, 401},
		{"device never enrolled", &tls.Certificate{Certificate: [][]byte{unknown.Raw}, PrivateKey: key}, "kiosk-9", 0, 401},
		{"Device-Id of another device", ptr(f.certs[testDevice]), otherDevice, 0, 403},
		{"certificate expired", ptr(f.certs[testDevice]), testDevice, deviceCertValidity + time.Hour, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Advance(tt.advance)
			defer f.clock.Advance(-tt.advance)
			r := f.deviceRequest("GET", "/v1/keys", nil)
			r.Header.Set(api.HeaderDeviceID, tt.header)
			resp, err := f.client(tt.cert).Do(r)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			problemOf(t, resp, body, tt.status)
			if tt.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// Revoking a device stops it at its next request, on a connection it
// already has open, with 403, which a kiosk treats as "hold the queue".
func TestRevoke_AppliesToTheNextRequest(t *testing.T) {
	f := newFixture(t, nil)
	c := f.deviceClient(testDevice)
	get := func() int {
		resp, err := c.Do(f.deviceRequest("GET", "/v1/keys", nil))
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		return resp.StatusCode
	}
	if got := get(); got != http.StatusOK {
		t.Fatalf("before revocation: %d, want 200", got)
	}
	if err := RevokeDevice(f.dir, testDevice, false, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != http.StatusForbidden {
		t.Errorf("after revocation, same connection: %d, want 403", got)
	}
	p := newProfile(t, testDevice, testEmail, false)
	resp, body := f.do(f.putRequest(p.ID, seal(t, f.key.Public(), p)))
	problemOf(t, resp, body, http.StatusForbidden)
	// Other devices are not affected.
	if resp, body := f.doAs(otherDevice, mustRequest(t, "GET", f.ts.URL+"/v1/keys")); resp.StatusCode != http.StatusOK {
		t.Errorf("another device after the revocation: %d %s, want 200", resp.StatusCode, body)
	}
	if err := RevokeDevice(f.dir, "kiosk-9", false, f.clock.Now()); err == nil {
		t.Error("revoking a device that was never enrolled: err = nil")
	}
}

// Enrolling again replaces the certificate: the old one stops working, as
// a stolen copy of it should.
func TestReenroll_SupersedesOldCertificate(t *testing.T) {
	f := newFixture(t, nil)
	old := f.certs[testDevice]
	f.enroll(testDevice)
	resp, err := f.client(&old).Do(f.deviceRequest("GET", "/v1/keys", nil))
	if err != nil {
		t.Fatal(err)
	}
	problemOf(t, resp, readAll(t, resp), http.StatusUnauthorized)
	if resp, body := f.do(f.deviceRequest("GET", "/v1/keys", nil)); resp.StatusCode != http.StatusOK {
		t.Errorf("the new certificate: %d %s, want 200", resp.StatusCode, body)
	}
}

// After a revocation as compromised, the device's signing key is dead for
// good: enrolling again with it is refused, and envelopes it signed are
// rejected once the device is back with a new key.
func TestRevoke_SigningKeyStaysRevoked(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	oldEnv := seal(t, f.key.Public(), p) // signed with deviceSigner(testDevice)
	if err := RevokeDevice(f.dir, testDevice, true, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	req, _ := enrollRequest(t, addDevice(t, f, testDevice, time.Hour), testDevice, deviceSigner(testDevice))
	resp, body := f.postEnroll(req)
	problemOf(t, resp, body, http.StatusForbidden)

	fresh := newSigner(t)
	req, key := enrollRequest(t, addDevice(t, f, testDevice, time.Hour), testDevice, fresh)
	resp, body = f.postEnroll(req)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("enroll with a new signing key: %d %s", resp.StatusCode, body)
	}
	f.certs[testDevice] = certOf(t, body, key)
	resp, body = f.do(f.putRequest(p.ID, oldEnv))
	if got := problemOf(t, resp, body, http.StatusUnprocessableEntity); got.Type != probBadSignature {
		t.Errorf("envelope signed by the revoked key: problem %q, want %q", got.Type, probBadSignature)
	}
}

// A plain revocation suspends the kiosk: enrolled again (same signing key,
// new certificate), it delivers the queue it kept meanwhile.
func TestRevoke_ReenrollDeliversTheKeptQueue(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	kept := seal(t, f.key.Public(), p)
	if err := RevokeDevice(f.dir, testDevice, false, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	resp, body := f.do(f.putRequest(p.ID, kept))
	problemOf(t, resp, body, http.StatusForbidden)
	f.enroll(testDevice) // same signing key: deviceSigner(testDevice)
	if resp, body := f.do(f.putRequest(p.ID, kept)); resp.StatusCode != http.StatusCreated {
		t.Errorf("the kept envelope after re-enrollment: %d %s, want 201", resp.StatusCode, body)
	}
}

func ptr[T any](v T) *T { return &v }

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// certOf makes a tls.Certificate from an enrollment answer and its key.
func certOf(t *testing.T, body []byte, key *ecdsa.PrivateKey) tls.Certificate {
	t.Helper()
	var out api.EnrollResponse
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(out.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
}
