package main

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
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/sync/durable"
)

// devCertLifetime: a development certificate is renewed when less than
// a tenth of this is left.
const devCertLifetime = 365 * 24 * time.Hour

// adminCertificate loads the admin listener's certificate from the config,
// or, when none is configured, the self-signed one in the data dir, made on
// first use (and again when it nears expiry). It returns the SHA-256 of the
// leaf, logged at start so an admin can check what the browser warns about.
func adminCertificate(cfg *config.Config) (tls.Certificate, string, error) {
	a := cfg.Admin
	if a.TLSCert != "" {
		c, err := tls.LoadX509KeyPair(a.TLSCert, a.TLSKey)
		if err != nil {
			return tls.Certificate{}, "", fmt.Errorf("admin certificate: %w", err)
		}
		return c, fingerprint(c), nil
	}
	dir := cfg.AdminTLSDir()
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if c, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && c.Leaf != nil &&
		time.Until(c.Leaf.NotAfter) > devCertLifetime/10 {
		return c, fingerprint(c), nil
	}
	certPEM, keyPEM, err := selfSigned(time.Now())
	if err != nil {
		return tls.Certificate{}, "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, "", fmt.Errorf("admin certificate: %w", err)
	}
	// The key first: a certificate without its key is useless, and the
	// next start simply makes both again.
	if err := durable.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, "", err
	}
	if err := durable.WriteFile(certPath, certPEM, 0o644); err != nil {
		return tls.Certificate{}, "", err
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("admin certificate: %w", err)
	}
	return c, fingerprint(c), nil
}

// selfSigned makes an ECDSA P-256 certificate for this machine's names and
// addresses, for development: browsers warn, and the admin compares the
// fingerprint kioskd logs.
func selfSigned(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "idkiosk admin " + host, Organization: []string{"idkiosk (self-signed, development)"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(devCertLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ipn.IP)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

func fingerprint(c tls.Certificate) string {
	if len(c.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(c.Certificate[0])
	return hex.EncodeToString(sum[:])
}
