// Package enroll is what `kioskctl enroll` does, as a function the dev
// stack can call too: make the device's keys, trust the service by a CA
// file or fingerprint, send the one-time code, and store the certificate
// and the service's keys in the data directory.
package enroll

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/idkiosk/idkiosk/device/identity"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/client"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

// Options say what to enroll with. Exactly one of CAFile and
// CAFingerprint says how to trust the service.
type Options struct {
	DataDir    string // the kiosk's data directory; keys go in its identity/ folder
	DeviceID   string
	ServiceURL string // https://...
	Code       string
	// CAFile is a PEM file with the CA certificate(s) the service's server
	// certificate chains to; they are pinned.
	CAFile string
	// CAFingerprint is the SHA-256 (hex; colons and case ignored) of a
	// certificate in the service's chain, as verifyd -add-device prints it;
	// that certificate is pinned.
	CAFingerprint string
	// Now stamps the enrollment; time.Now when nil.
	Now func() time.Time
}

// Run enrolls the device and returns its identity. Nothing of the old
// identity is replaced unless the service accepted the code.
func Run(ctx context.Context, o Options) (*identity.Identity, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if (o.CAFile == "") == (o.CAFingerprint == "") {
		return nil, errors.New("give the service's CA as a file (-ca) or as a fingerprint (-ca-fingerprint), one of the two")
	}
	tlsConfig, pinned, err := trust(o)
	if err != nil {
		return nil, err
	}
	p, err := identity.Prepare(o.DataDir, o.DeviceID)
	if err != nil {
		return nil, err
	}
	proof, err := p.Signer().Sign(rand.Reader, api.EnrollProofMessage(o.DeviceID, p.CSR), crypto.Hash(0))
	if err != nil {
		return nil, fmt.Errorf("enrollment proof: %w", err)
	}
	resp, err := client.Enroll(ctx, o.ServiceURL, tlsConfig, api.EnrollRequest{
		Code: o.Code, DeviceID: o.DeviceID, CSR: p.CSR, SigningKey: p.SigningKey, Proof: proof,
	})
	if err != nil {
		return nil, err
	}
	// The key list is checked now, not first when kioskd starts: a kiosk
	// must not be left enrolled with keys it will refuse.
	if _, err := envelope.ParseServiceKeys(resp.Keys); err != nil {
		return nil, err
	}
	keys, err := json.Marshal(resp.Keys)
	if err != nil {
		return nil, err
	}
	return p.Complete(identity.Enrollment{
		ServiceURL:  o.ServiceURL,
		Certificate: resp.Certificate,
		ServiceCA:   pinned(),
		ServiceKeys: keys,
		Enrolled:    o.Now(),
	})
}

// trust returns the TLS configuration for the enrollment call and a
// function that gives the certificates to pin once it succeeded.
func trust(o Options) (*tls.Config, func() []*x509.Certificate, error) {
	if o.CAFile != "" {
		b, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, nil, fmt.Errorf("service CA: %w", err)
		}
		roots, err := identity.ParseCertificates(b)
		if err != nil {
			return nil, nil, fmt.Errorf("service CA %s: %w", o.CAFile, err)
		}
		return client.PinnedTLS(roots, tls.Certificate{}), func() []*x509.Certificate { return roots }, nil
	}
	fp, err := hex.DecodeString(strings.ToLower(strings.ReplaceAll(o.CAFingerprint, ":", "")))
	if err != nil || len(fp) != 32 {
		return nil, nil, fmt.Errorf("-ca-fingerprint %q: want 64 hex digits (SHA-256)", o.CAFingerprint)
	}
	var found *x509.Certificate
	cfg := client.FingerprintTLS(fp, func(c *x509.Certificate) { found = c })
	return cfg, func() []*x509.Certificate { return []*x509.Certificate{found} }, nil
}
