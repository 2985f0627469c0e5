package identity

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/idkiosk/idkiosk/sync/durable"
)

// File names in the identity directory; see the package documentation.
const (
	signingKeyFile = "signing.key"
	tlsKeyFile     = "tls.key"
	pendingKeyFile = "tls.key.pending"
	certFile       = "tls.crt"
	caFile         = "service-ca.pem"
	keysFile       = "service-keys.json"
	stateFile      = "enrollment.json"
)

// Dir is the identity directory inside a kiosk's data directory.
func Dir(dataDir string) string { return filepath.Join(dataDir, "identity") }

// readSecret reads a file that must be readable by its owner only: a key
// someone else could read may already have been copied.
func readSecret(dir, name string) ([]byte, error) {
	path := filepath.Join(dir, name)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %04o); chmod 600 it, and re-enroll if it may have been copied", path, fi.Mode().Perm())
	}
	return os.ReadFile(path)
}

// makeDir creates the identity directory 0700, and tightens an existing one.
func makeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("identity directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("identity directory: %w", err)
	}
	return nil
}

// pemKey encodes a private key as PKCS #8 PEM.
func pemKey(key any) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// parseKey decodes one PKCS #8 PEM private key.
func parseKey(b []byte) (any, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM private key")
	}
	return x509.ParsePKCS8PrivateKey(block.Bytes)
}

// PEMCertificates encodes certificates as PEM.
func PEMCertificates(certs []*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// ParseCertificates decodes every CERTIFICATE block of a PEM file and
// requires at least one.
func ParseCertificates(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return out, nil
}

func removeFile(dir, name string) error {
	if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return durable.SyncDir(dir)
}

func removeState(dir string) error { return removeFile(dir, stateFile) }

// dirParent is the data directory of an identity directory.
func dirParent(dir string) string { return filepath.Dir(dir) }
