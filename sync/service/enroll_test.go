package service

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

func newSigner(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func addDevice(t *testing.T, f *fixture, device string, ttl time.Duration) string {
	t.Helper()
	code, _, err := AddDevice(f.dir, device, ttl, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestEnroll_IssuesCertificateAndKeys(t *testing.T) {
	f := newFixture(t, nil)
	out := f.enroll("kiosk-3")
	cert, err := x509.ParseCertificate(out.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "kiosk-3" || out.DeviceID != "kiosk-3" {
		t.Errorf("certificate for %q, answer for %q; want kiosk-3", cert.Subject.CommonName, out.DeviceID)
	}
	if err := cert.CheckSignatureFrom(f.srv.DeviceCA()); err != nil {
		t.Errorf("certificate not issued by the device CA: %v", err)
	}
	l, err := envelope.ParseServiceKeys(out.Keys)
	if err != nil || l.Current().KeyID != f.key.KeyID {
		t.Errorf("enrollment keys: current %v (%v), want %s", out.Keys.Current, err, f.key.KeyID)
	}
	// The new device can call the API at once.
	resp, body := f.doAs("kiosk-3", mustRequest(t, "GET", f.ts.URL+"/v1/keys"))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/keys as the new device: %d %s", resp.StatusCode, body)
	}
}

// A code is the device's whole credential until it has a certificate: it
// must work once, for one device, for a limited time.
func TestEnroll_CodeSingleUse(t *testing.T) {
	f := newFixture(t, nil)
	code := addDevice(t, f, "kiosk-3", time.Hour)
	signer := newSigner(t)
	req, _ := enrollRequest(t, code, "kiosk-3", signer)
	first, firstBody := f.postEnroll(req)
	if first.StatusCode != http.StatusCreated {
		t.Fatalf("first use: status %d, want 201; %s", first.StatusCode, firstBody)
	}
	// The same request again (its answer was lost): the same certificate.
	again, againBody := f.postEnroll(req)
	var a, b api.EnrollResponse
	json.Unmarshal(firstBody, &a)
	json.Unmarshal(againBody, &b)
	if again.StatusCode != http.StatusCreated || !bytes.Equal(a.Certificate, b.Certificate) {
		t.Errorf("same request again: status %d, same certificate %t; want 201 and the same certificate",
			again.StatusCode, bytes.Equal(a.Certificate, b.Certificate))
	}
	// Anyone else with the code: refused, whatever keys they bring.
	for _, tt := range []struct {
		name   string
		signer ed25519.PrivateKey
	}{
		{"another TLS key, same signing key", signer},
		{"other keys", newSigner(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			other, _ := enrollRequest(t, code, "kiosk-3", tt.signer)
			resp, body := f.postEnroll(other)
			if got := problemOf(t, resp, body, http.StatusUnauthorized); got.Type != probEnrollCode {
				t.Errorf("problem type %q, want %q", got.Type, probEnrollCode)
			}
		})
	}
}

func TestEnroll_CodeExpires(t *testing.T) {
	f := newFixture(t, nil)
	code := addDevice(t, f, "kiosk-3", time.Hour)
	f.clock.Advance(time.Hour)
	req, _ := enrollRequest(t, code, "kiosk-3", newSigner(t))
	resp, body := f.postEnroll(req)
	problemOf(t, resp, body, http.StatusUnauthorized)

	// Within its time, a code works.
	code = addDevice(t, f, "kiosk-3", time.Hour)
	f.clock.Advance(time.Hour - time.Second)
	req, _ = enrollRequest(t, code, "kiosk-3", newSigner(t))
	if resp, body := f.postEnroll(req); resp.StatusCode != http.StatusCreated {
		t.Errorf("a second before expiry: status %d, want 201; %s", resp.StatusCode, body)
	}
}

func TestEnroll_NewCodeReplacesOld(t *testing.T) {
	f := newFixture(t, nil)
	old := addDevice(t, f, "kiosk-3", time.Hour)
	current := addDevice(t, f, "kiosk-3", time.Hour)
	req, _ := enrollRequest(t, old, "kiosk-3", newSigner(t))
	resp, body := f.postEnroll(req)
	problemOf(t, resp, body, http.StatusUnauthorized)
	req, _ = enrollRequest(t, current, "kiosk-3", newSigner(t))
	if resp, body := f.postEnroll(req); resp.StatusCode != http.StatusCreated {
		t.Errorf("the newer code: status %d, want 201; %s", resp.StatusCode, body)
	}
}

func TestEnroll_Refused(t *testing.T) {
	f := newFixture(t, nil)
	code := addDevice(t, f, "kiosk-3", time.Hour)
	tests := []struct {
		name     string
		edit     func(*api.EnrollRequest)
		status   int
		probType string
	}{
		{"unknown code", func(r *api.EnrollRequest) { r.Code = "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GG" }, 401, probEnrollCode},
		{"code of another device", func(r *api.EnrollRequest) {
			*r, _ = enrollRequest(t, code, "kiosk-4", newSigner(t))
		}, 403, probForbidden},
		{"no code", func(r *api.EnrollRequest) { r.Code = "" }, 400, probMalformed},
		{"device id unsafe", func(r *api.EnrollRequest) { r.DeviceID = "../kiosk" }, 400, probMalformed},
		{"no csr", func(r *api.EnrollRequest) { r.CSR = nil }, 400, probMalformed},
		{"csr signature broken", func(r *api.EnrollRequest) { r.CSR[len(r.CSR)-3] ^= 1 }, 400, probMalformed},
		{"proof by another key", func(r *api.EnrollRequest) {
			r.Proof = ed25519.Sign(newSigner(t), api.EnrollProofMessage(r.DeviceID, r.CSR))
		}, 400, probMalformed},
		{"proof over another csr", func(r *api.EnrollRequest) {
			other, _ := enrollRequest(t, code, "kiosk-3", newSigner(t))
			r.CSR = other.CSR
		}, 400, probMalformed},
		{"no signing key", func(r *api.EnrollRequest) { r.SigningKey = nil }, 400, probMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := enrollRequest(t, code, "kiosk-3", newSigner(t))
			tt.edit(&req)
			resp, body := f.postEnroll(req)
			if got := problemOf(t, resp, body, tt.status); got.Type != tt.probType {
				t.Errorf("problem type %q, want %q (%s)", got.Type, tt.probType, got.Detail)
			}
		})
	}
	// None of the refusals used up the code.
	req, _ := enrollRequest(t, strings.ToLower(code), "kiosk-3", newSigner(t))
	if resp, body := f.postEnroll(req); resp.StatusCode != http.StatusCreated {
		t.Errorf("the code after the refusals (typed in lower case): status %d, want 201; %s", resp.StatusCode, body)
	}
}

// The registry holds only a hash of each code, and nothing in it or beside
// it is readable by other users.
func TestEnroll_CodeHashedAtRest(t *testing.T) {
	f := newFixture(t, nil)
	code := addDevice(t, f, "kiosk-3", time.Hour)
	b, err := os.ReadFile(filepath.Join(f.dir, registryFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{code, NormalizeCode(code), strings.ToLower(NormalizeCode(code))} {
		if bytes.Contains(b, []byte(form)) {
			t.Errorf("devices.json holds the code %q in clear", form)
		}
	}
	for _, name := range []string{registryFile, registryLock, deviceCACert, deviceCAKey} {
		fi, err := os.Stat(filepath.Join(f.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
}

func TestAddDevice_BadID(t *testing.T) {
	for _, id := range []string{"", "../etc", "kiosk 1", strings.Repeat("k", 65)} {
		if _, _, err := AddDevice(t.TempDir(), id, time.Hour, time.Now()); err == nil {
			t.Errorf("AddDevice(%q): err = nil, want an error", id)
		}
	}
}

func TestNormalizeCode(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"ABCD-EFGH", "ABCDEFGH"},
		{"abcd efgh", "ABCDEFGH"},
		{" ab-cd ", "ABCD"},
	} {
		if got := NormalizeCode(tt.in); got != tt.want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
