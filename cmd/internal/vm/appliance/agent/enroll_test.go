package agent

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/device/identity"
)

// A data disk enrolled with another verification service (make vm's
// service state removed, the disk kept) is refused with the reason, rather
// than booted into a kiosk that can never deliver what it seals.
func TestCheckPinnedCA(t *testing.T) {
	ca := func(name string) *x509.Certificate {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	fp := func(c *x509.Certificate) string {
		sum := sha256.Sum256(c.Raw)
		return hex.EncodeToString(sum[:])
	}
	pinned, other := ca("pinned"), ca("other")
	path := filepath.Join(t.TempDir(), "service-ca.pem")
	if err := os.WriteFile(path, identity.PEMCertificates([]*x509.Certificate{pinned}), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, fingerprint, want string
	}{
		{"the same service", fp(pinned), ""},
		{"the same, upper case", strings.ToUpper(fp(pinned)), ""},
		{"another service", fp(other), "another verification service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPinnedCA(path, tt.fingerprint)
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("checkPinnedCA = %v, want %q", err, tt.want)
			}
		})
	}
	if err := checkPinnedCA(filepath.Join(t.TempDir(), "missing.pem"), fp(pinned)); err == nil {
		t.Error("checkPinnedCA with no pinned CA = nil, want an error")
	}
}
