package identity

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA issues certificates for CSRs, as the service's device CA does.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key}
}

// issue signs csr for cn with the given extended key usages.
func (ca *testCA) issue(t *testing.T, csr []byte, cn string, eku ...x509.ExtKeyUsage) []byte {
	t.Helper()
	req, err := x509.ParseCertificateRequest(csr)
	if err != nil {
		t.Fatal(err)
	}
	if len(eku) == 0 {
		eku = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: eku,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, req.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func enroll(t *testing.T, dataDir, device string, ca *testCA) *Identity {
	t.Helper()
	p, err := Prepare(dataDir, device)
	if err != nil {
		t.Fatal(err)
	}
	id, err := p.Complete(Enrollment{
		ServiceURL:  "https://verify.example.org",
		Certificate: ca.issue(t, p.CSR, device),
		ServiceCA:   []*x509.Certificate{ca.cert},
		ServiceKeys: []byte(`{"current":"k1"}`),
		Enrolled:    time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	return id
}

func TestPrepare_KeysAndRequest(t *testing.T) {
	data := t.TempDir()
	p, err := Prepare(data, "kiosk-1")
	if err != nil {
		t.Fatal(err)
	}
	req, err := x509.ParseCertificateRequest(p.CSR)
	if err != nil {
		t.Fatalf("CSR: %v", err)
	}
	if err := req.CheckSignature(); err != nil {
		t.Errorf("CSR signature: %v", err)
	}
	if req.Subject.CommonName != "kiosk-1" {
		t.Errorf("CSR common name %q, want kiosk-1", req.Subject.CommonName)
	}
	msg := []byte("proof")
	sig, err := p.Signer().Sign(rand.Reader, msg, &ed25519.Options{})
	if err != nil || !ed25519.Verify(p.SigningKey, msg, sig) {
		t.Errorf("Signer does not sign for SigningKey: %v", err)
	}

	// A retried enrollment (say, the answer was lost) must ask for the same
	// TLS key and present the same signing key.
	again, err := Prepare(data, "kiosk-1")
	if err != nil {
		t.Fatal(err)
	}
	req2, _ := x509.ParseCertificateRequest(again.CSR)
	if !req2.PublicKey.(*ecdsa.PublicKey).Equal(req.PublicKey) || !again.SigningKey.Equal(p.SigningKey) {
		t.Error("Prepare again before Complete: new keys, want the pending ones reused")
	}
	if _, err := Load(data); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("Load before Complete: err = %v, want ErrNotEnrolled", err)
	}
}

func TestComplete_LoadRoundTrip(t *testing.T) {
	data, ca := t.TempDir(), newTestCA(t)
	id := enroll(t, data, "kiosk-1", ca)

	got, err := Load(data)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.DeviceID != "kiosk-1" || got.ServiceURL != "https://verify.example.org" || !got.Enrolled.Equal(id.Enrolled) {
		t.Errorf("Load = %s %s %v, want kiosk-1 https://verify.example.org %v", got.DeviceID, got.ServiceURL, got.Enrolled, id.Enrolled)
	}
	if !got.Signer().Public().(ed25519.PublicKey).Equal(id.Signer().Public()) {
		t.Error("signing key changed between Complete and Load")
	}
	if roots := got.ServiceRoots(); len(roots) != 1 || !roots[0].Equal(ca.cert) {
		t.Errorf("pinned roots %v, want the CA", roots)
	}
	if c := got.ClientCertificate(); c.Leaf == nil || c.Leaf.Subject.CommonName != "kiosk-1" || c.PrivateKey == nil {
		t.Errorf("client certificate %+v, want kiosk-1's with its key", c.Leaf)
	}
	if _, err := os.Stat(filepath.Join(Dir(data), pendingKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pending TLS key left behind after Complete: %v", err)
	}
	if string(got.ServiceKeys()) != `{"current":"k1"}` {
		t.Errorf("service keys %s, want what Complete stored", got.ServiceKeys())
	}
	if err := got.PinServiceKeys([]byte(`{"current":"k2"}`)); err != nil {
		t.Fatal(err)
	}
	if again, err := Load(data); err != nil || string(again.ServiceKeys()) != `{"current":"k2"}` {
		t.Errorf("after PinServiceKeys, Load gives %s (%v), want the new list", again.ServiceKeys(), err)
	}
}

// Every file holds or protects a secret: none may be readable by anyone but
// the kiosk's user, and the directory not listable.
func TestFiles_OwnerOnly(t *testing.T) {
	data := t.TempDir()
	enroll(t, data, "kiosk-1", newTestCA(t))
	dir := Dir(data)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("identity directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{stateFile, caFile, keysFile, signingKeyFile, certFile, tlsKeyFile} // as ReadDir sorts them
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("files %q, want %q (no temporary files left)", names, want)
	}
}

func TestLoad_RefusesKeyReadableByOthers(t *testing.T) {
	data := t.TempDir()
	enroll(t, data, "kiosk-1", newTestCA(t))
	for _, name := range []string{signingKeyFile, tlsKeyFile} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(Dir(data), name)
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(path, 0o600)
			if _, err := Load(data); err == nil || !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("Load with %s mode 0644: err = %v, want one asking for chmod 600", name, err)
			}
		})
	}
}

func TestComplete_RefusesWrongCertificate(t *testing.T) {
	ca := newTestCA(t)
	other, err := Prepare(t.TempDir(), "kiosk-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		cert func(p *Pending) []byte
		want string
	}{
		{"another key", func(*Pending) []byte { return ca.issue(t, other.CSR, "kiosk-1") }, "TLS key"},
		{"another device", func(p *Pending) []byte { return ca.issue(t, p.CSR, "kiosk-2") }, "kiosk-2"},
		{"server certificate", func(p *Pending) []byte {
			return ca.issue(t, p.CSR, "kiosk-1", x509.ExtKeyUsageServerAuth)
		}, "client"},
		{"not a certificate", func(*Pending) []byte { return []byte("junk") }, "certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			p, err := Prepare(data, "kiosk-1")
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Complete(Enrollment{Certificate: tt.cert(p), ServiceCA: []*x509.Certificate{ca.cert}, ServiceKeys: []byte("{}")})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Complete: err = %v, want one mentioning %q", err, tt.want)
			}
			if _, err := Load(data); !errors.Is(err, ErrNotEnrolled) {
				t.Errorf("Load after a refused certificate: err = %v, want ErrNotEnrolled", err)
			}
		})
	}
}

// Re-enrolling keeps the signing key (the queue is signed with it) and
// replaces the TLS key and certificate.
func TestReenroll_KeepsSigningKey(t *testing.T) {
	data, ca := t.TempDir(), newTestCA(t)
	first := enroll(t, data, "kiosk-1", ca)
	second := enroll(t, data, "kiosk-1", ca)
	if !second.Signer().Public().(ed25519.PublicKey).Equal(first.Signer().Public()) {
		t.Error("re-enrollment made a new signing key; queued envelopes would no longer verify")
	}
	if second.Certificate.Equal(first.Certificate) {
		t.Error("re-enrollment kept the old certificate")
	}
}

// Private keys never reach a log line or a formatted error, whichever verb
// or logger prints the value.
func TestNeverPrintsKeys(t *testing.T) {
	data := t.TempDir()
	id := enroll(t, data, "kiosk-1", newTestCA(t))
	p, err := Prepare(data, "kiosk-1")
	if err != nil {
		t.Fatal(err)
	}
	var secrets [][]byte
	for _, name := range []string{signingKeyFile, tlsKeyFile, pendingKeyFile} {
		b, err := os.ReadFile(filepath.Join(Dir(data), name))
		if err != nil {
			t.Fatal(err)
		}
		k, err := parseKey(b)
		if err != nil {
			t.Fatal(err)
		}
		switch k := k.(type) {
		case ed25519.PrivateKey:
			secrets = append(secrets, k.Seed())
		case *ecdsa.PrivateKey:
			secrets = append(secrets, k.D.Bytes())
		}
		secrets = append(secrets, b[40:80]) // a slice of the PEM body
	}
	var out bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&out, nil))
	log.Info("enrolled", "identity", id, "pending", p)
	log.Info("text", "identity", fmt.Sprint(id))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		fmt.Fprintf(&out, verb+"\n", id)
		fmt.Fprintf(&out, verb+"\n", p)
		fmt.Fprintf(&out, verb+"\n", *p)
	}
	for i, s := range secrets {
		for _, enc := range []string{string(s), hex.EncodeToString(s), base64.StdEncoding.EncodeToString(s), fmt.Sprint(s), fmt.Sprintf("%x", s)} {
			if bytes.Contains(out.Bytes(), []byte(enc)) {
				t.Fatalf("secret %d printed (as %.20q...):\n%s", i, enc, out.String())
			}
		}
	}
	if !strings.Contains(out.String(), "kiosk-1") {
		t.Errorf("output does not name the device at all:\n%s", out.String())
	}
}
