package service

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/idkiosk/idkiosk/sync/durable"
)

// The device CA issues the kiosks' client certificates at enrollment. It is
// the service's own (nothing else should be able to mint a kiosk identity)
// and it lives in the data directory: device-ca.crt and device-ca.key.

const (
	deviceCACert = "device-ca.crt"
	deviceCAKey  = "device-ca.key"
	// deviceCertValidity is long on purpose: the service is the only
	// relying party and checks on every request that a certificate is the
	// one on record and its device not revoked, so a short lifetime would
	// add renewals (and kiosks locked out after weeks offline) without
	// adding safety.
	deviceCertValidity = 5 * 365 * 24 * time.Hour
	// caValidity outlives any kiosk.
	caValidity = 20 * 365 * 24 * time.Hour
	// clockSkew backdates certificates: a kiosk's clock may be behind.
	clockSkew = time.Hour
)

type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
	pool *x509.CertPool
}

// loadOrCreateCA reads the CA named base in dir, or makes it on first start.
func loadOrCreateCA(dir, certName, keyName, commonName string, now time.Time) (*authority, error) {
	certPath, keyPath := filepath.Join(dir, certName), filepath.Join(dir, keyName)
	cb, cerr := os.ReadFile(certPath)
	kb, kerr := os.ReadFile(keyPath)
	switch {
	case cerr == nil && kerr == nil:
		return parseCA(cb, kb)
	case errors.Is(cerr, os.ErrNotExist) && errors.Is(kerr, os.ErrNotExist):
	case cerr != nil && !errors.Is(cerr, os.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", certName, cerr)
	case kerr != nil && !errors.Is(kerr, os.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", keyName, kerr)
	default:
		// One without the other: refuse rather than replace a CA that
		// kiosks may already trust or hold certificates from.
		return nil, fmt.Errorf("%s and %s: one is missing; restore it or remove both to start a new CA", certPath, keyPath)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: commonName + " " + randomSerial().Text(16)[:8]},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", commonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := durable.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := durable.WriteFile(certPath, certPEM, 0o600); err != nil {
		return nil, err
	}
	return parseCA(certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

func parseCA(certPEM, keyPEM []byte) (*authority, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("CA: not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok || !publicEqual(signer.Public(), cert.PublicKey) {
		return nil, errors.New("CA key does not match its certificate")
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &authority{cert: cert, key: signer, pool: pool}, nil
}

func publicEqual(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}

// randomSerial is 128 random bits: unique without a counter to keep.
func randomSerial() *big.Int {
	b := make([]byte, 16)
	rand.Read(b)
	b[0] &= 0x7f // positive
	b[0] |= 0x40 // and always 16 bytes long
	return new(big.Int).SetBytes(b)
}

// issueDevice signs a client certificate for deviceID over pub.
func (a *authority) issueDevice(deviceID string, pub crypto.PublicKey, now time.Time) (*x509.Certificate, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return nil, fmt.Errorf("TLS key on curve %s: use P-256 or P-384", k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("TLS key of type %T: use ECDSA P-256 or Ed25519", pub)
	}
	notAfter := now.Add(deviceCertValidity)
	if notAfter.After(a.cert.NotAfter) {
		notAfter = a.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: deviceID},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, pub, a.key)
	if err != nil {
		return nil, fmt.Errorf("issue certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}
