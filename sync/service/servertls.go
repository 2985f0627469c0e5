package service

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/idkiosk/idkiosk/sync/durable"
)

// The service serves HTTPS only: kiosks authenticate with client
// certificates, reviewers send a password. A deployment gives verifyd its
// own certificate (-tls-cert, -tls-key); for `make run`, the tests and small
// sites, DevServerTLS makes a private CA and a server certificate in the
// data directory, and the kiosk pins that CA at enrollment.

// File names of the development server certificate in the data directory.
const (
	DevCACertFile = "tls-ca.crt"
	devCAKeyFile  = "tls-ca.key"
	devCertFile   = "tls.crt"
	devKeyFile    = "tls.key"
	// devCertValidity: a year, renewed on any start within a month of the
	// end; the CA, which kiosks pin, stays.
	devCertValidity = 365 * 24 * time.Hour
	devCertRenew    = 30 * 24 * time.Hour
)

// DevServerTLS returns a server certificate for hosts (names or IP
// addresses) under the development CA in dir, making either when missing,
// and the certificate chain includes the CA so a kiosk can pin it by
// fingerprint. The CA stays across starts; the leaf is made again when it
// does not cover hosts or is close to expiring.
func DevServerTLS(dir string, hosts []string, now time.Time) (tls.Certificate, *x509.Certificate, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("data directory: %w", err)
	}
	ca, err := loadOrCreateCA(dir, DevCACertFile, devCAKeyFile, "idkiosk verifyd development CA", now)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPath, keyPath := filepath.Join(dir, devCertFile), filepath.Join(dir, devKeyFile)
	if c, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && c.Leaf != nil && covers(c.Leaf, hosts) &&
		now.Add(devCertRenew).Before(c.Leaf.NotAfter) && c.Leaf.CheckSignatureFrom(ca.cert) == nil {
		return c, ca.cert, nil
	}
	chain, keyPEM, err := ca.issueServer(hosts, now)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	if err := durable.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, nil, err
	}
	if err := durable.WriteFile(certPath, chain, 0o600); err != nil {
		return tls.Certificate{}, nil, err
	}
	c, err := tls.X509KeyPair(chain, keyPEM)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("server certificate: %w", err)
	}
	return c, ca.cert, nil
}

// DevCA returns the development CA in dir, making it if missing, without
// touching the server certificate: what an operator pins a kiosk to.
func DevCA(dir string, now time.Time) (*x509.Certificate, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	ca, err := loadOrCreateCA(dir, DevCACertFile, devCAKeyFile, "idkiosk verifyd development CA", now)
	if err != nil {
		return nil, err
	}
	return ca.cert, nil
}

// DevServerCertificate issues, in memory, another server certificate for
// hosts from the development CA that DevServerTLS made in dir. Tests use it
// for a proxy that kiosks, which pinned that CA, must take for the service.
func DevServerCertificate(dir string, hosts []string, now time.Time) (tls.Certificate, error) {
	cb, err := os.ReadFile(filepath.Join(dir, DevCACertFile))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("development CA: %w", err)
	}
	kb, err := os.ReadFile(filepath.Join(dir, devCAKeyFile))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("development CA: %w", err)
	}
	ca, err := parseCA(cb, kb)
	if err != nil {
		return tls.Certificate{}, err
	}
	chain, keyPEM, err := ca.issueServer(hosts, now)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(chain, keyPEM)
}

// issueServer makes a server certificate for hosts and returns its chain
// (leaf, then the CA, so a kiosk can pin the CA by fingerprint) and key as PEM.
func (a *authority) issueServer(hosts []string, now time.Time) (chain, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: "verifyd"},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     now.Add(devCertValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, key.Public(), a.key)
	if err != nil {
		return nil, nil, fmt.Errorf("server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	chain = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.cert.Raw})...)
	return chain, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

func covers(c *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
				return false
			}
		} else if !slices.Contains(c.DNSNames, h) {
			return false
		}
	}
	return true
}

// Fingerprint is the SHA-256 of a certificate's DER, in hex: what an
// operator reads out to pin a CA (kioskctl enroll -ca-fingerprint).
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// TLSConfig is the server side of the kiosk API: TLS 1.3 (every client is
// ours or a current browser, so nothing older is needed), and a client
// certificate requested but not required, because enrollment and the
// review page come without one. The handler checks the certificate on
// every device request (see Server.device), which lets it answer a missing
// or unknown one with a 401 problem document instead of a failed handshake
// the kiosk could only retry.
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequestClientCert,
	}
}
