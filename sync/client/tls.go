package client

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// A kiosk trusts exactly one thing about the service's TLS certificate: that
// it chains to the CA pinned at enrollment. Not the system roots: a kiosk
// talks to one service, and any public CA being able to mint a certificate
// for it would let a network attacker hand the kiosk their own key list.

// PinnedTLS is the kiosk's TLS configuration after enrollment: the server
// must chain to one of roots (and match the URL's host name, checked as
// usual), and the kiosk presents cert (none when it is the zero value, as
// before enrollment). TLS 1.3 only: both ends are ours.
func PinnedTLS(roots []*x509.Certificate, cert tls.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	for _, c := range roots {
		pool.AddCert(c)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: pool}
	if len(cert.Certificate) > 0 {
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// FingerprintTLS is for the one request a kiosk makes before it has pinned
// anything (enrollment) when the operator has the service CA's SHA-256
// fingerprint rather than its file. The server's chain must contain a
// certificate with that fingerprint; the chain is then verified with that
// certificate as the only root (dates, signatures, host name, as usual).
// found is called with it, so the caller can pin it.
func FingerprintTLS(fingerprint []byte, found func(*x509.Certificate)) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		// Verification is not skipped: VerifyConnection does it, against
		// a root chosen by fingerprint instead of from a pool.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server sent no certificate")
			}
			var root *x509.Certificate
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates {
				if sum := sha256.Sum256(c.Raw); bytes.Equal(sum[:], fingerprint) {
					root = c
				} else {
					inter.AddCert(c)
				}
			}
			if root == nil {
				return fmt.Errorf("no certificate in the server's chain has SHA-256 fingerprint %x", fingerprint)
			}
			roots := x509.NewCertPool()
			roots.AddCert(root)
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
				DNSName:       cs.ServerName,
				Roots:         roots,
				Intermediates: inter,
			})
			if err != nil {
				return fmt.Errorf("server certificate: %w", err)
			}
			if found != nil {
				found(root)
			}
			return nil
		},
	}
}

func hasClientCert(c *tls.Config) bool {
	return c != nil && (len(c.Certificates) > 0 || c.GetClientCertificate != nil)
}
