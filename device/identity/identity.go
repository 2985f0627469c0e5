package identity

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/idkiosk/idkiosk/sync/durable"
)

// ErrNotEnrolled reports a data directory without a completed enrollment.
var ErrNotEnrolled = errors.New("device is not enrolled")

// state is enrollment.json: what an operator asks about a kiosk's identity.
type state struct {
	DeviceID   string    `json:"device_id"`
	ServiceURL string    `json:"service_url"`
	Enrolled   time.Time `json:"enrolled"`
}

// Pending is an enrollment in progress: the device's keys exist on disk,
// the certificate request is ready, the certificate is not there yet.
type Pending struct {
	DeviceID string
	// CSR is a PKCS #10 request (DER) for the TLS key, CommonName DeviceID.
	CSR []byte
	// SigningKey is the public half of the device's Ed25519 key.
	SigningKey ed25519.PublicKey

	dir     string
	signing ed25519.PrivateKey
	tlsKey  *ecdsa.PrivateKey
}

// Prepare readies dataDir's identity directory for enrolling as deviceID:
// it makes the Ed25519 signing key (or reuses the one there, see the
// package documentation) and a TLS key, kept as pending until Complete.
// Calling Prepare again before Complete reuses the pending TLS key, so a
// retried enrollment sends the same public key.
func Prepare(dataDir, deviceID string) (*Pending, error) {
	dir := Dir(dataDir)
	if err := makeDir(dir); err != nil {
		return nil, err
	}
	signing, err := loadOrCreateSigning(dir)
	if err != nil {
		return nil, err
	}
	tlsKey, err := loadOrCreatePending(dir)
	if err != nil {
		return nil, err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: deviceID},
	}, tlsKey)
	if err != nil {
		return nil, fmt.Errorf("certificate request: %w", err)
	}
	return &Pending{
		DeviceID:   deviceID,
		CSR:        csr,
		SigningKey: signing.Public().(ed25519.PublicKey),
		dir:        dir,
		signing:    signing,
		tlsKey:     tlsKey,
	}, nil
}

func loadOrCreateSigning(dir string) (ed25519.PrivateKey, error) {
	b, err := readSecret(dir, signingKeyFile)
	if err == nil {
		k, err := parseKey(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", signingKeyFile, err)
		}
		ek, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s: %T, want an Ed25519 key", signingKeyFile, k)
		}
		return ek, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	b, err = pemKey(k)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	if err := durable.WriteFile(filepath.Join(dir, signingKeyFile), b, 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

func loadOrCreatePending(dir string) (*ecdsa.PrivateKey, error) {
	if b, err := readSecret(dir, pendingKeyFile); err == nil {
		return parseECDSA(pendingKeyFile, b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// P-256: every TLS stack and HSM speaks it, and the handshake costs
	// a Cortex-A72 about a millisecond.
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tls key: %w", err)
	}
	b, err := pemKey(k)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	if err := durable.WriteFile(filepath.Join(dir, pendingKeyFile), b, 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

func parseECDSA(name string, b []byte) (*ecdsa.PrivateKey, error) {
	defer clear(b)
	k, err := parseKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: %T, want an ECDSA key", name, k)
	}
	return ek, nil
}

// Signer signs with the device's Ed25519 key (the enrollment proof).
func (p *Pending) Signer() crypto.Signer { return p.signing }

// Enrollment is what the service answered, plus what the device pinned.
type Enrollment struct {
	ServiceURL string
	// Certificate is the client certificate (DER) the service issued.
	Certificate []byte
	// ServiceCA are the certificates the service's server certificate must
	// chain to from now on.
	ServiceCA []*x509.Certificate
	// ServiceKeys is the service's key list, stored as given.
	ServiceKeys []byte
	Enrolled    time.Time
}

// Complete checks that the certificate is for this device and its pending
// TLS key, then writes the enrollment. The enrollment record is written
// last: until it exists, Load reports ErrNotEnrolled, so a crash half way
// leaves a device that is simply not enrolled yet.
func (p *Pending) Complete(e Enrollment) (*Identity, error) {
	cert, err := x509.ParseCertificate(e.Certificate)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	if err := checkCert(cert, p.DeviceID, &p.tlsKey.PublicKey); err != nil {
		return nil, err
	}
	if len(e.ServiceCA) == 0 {
		return nil, errors.New("enrollment: no service CA to pin")
	}
	keyPEM, err := pemKey(p.tlsKey)
	if err != nil {
		return nil, err
	}
	defer clear(keyPEM)
	st, err := json.MarshalIndent(state{DeviceID: p.DeviceID, ServiceURL: e.ServiceURL, Enrolled: e.Enrolled.UTC()}, "", "  ")
	if err != nil {
		return nil, err
	}
	// Remove the old record first: from here until it is written again the
	// device counts as not enrolled, never as enrolled with a mix of old
	// and new files.
	if err := removeState(p.dir); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{
		{tlsKeyFile, keyPEM},
		{certFile, PEMCertificates([]*x509.Certificate{cert})},
		{caFile, PEMCertificates(e.ServiceCA)},
		{keysFile, e.ServiceKeys},
		{stateFile, append(st, '\n')},
	} {
		if err := durable.WriteFile(filepath.Join(p.dir, f.name), f.b, 0o600); err != nil {
			return nil, err
		}
	}
	if err := removeFile(p.dir, pendingKeyFile); err != nil {
		return nil, err
	}
	return Load(dirParent(p.dir))
}

func checkCert(cert *x509.Certificate, deviceID string, tlsPub crypto.PublicKey) error {
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(tlsPub) {
		return errors.New("certificate: not issued for this device's TLS key")
	}
	if cert.Subject.CommonName != deviceID {
		return fmt.Errorf("certificate: issued to %q, this device is %q", cert.Subject.CommonName, deviceID)
	}
	if !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return errors.New("certificate: not a TLS client certificate")
	}
	return nil
}

// Identity is an enrolled device's credentials and pins. Safe for
// concurrent use.
type Identity struct {
	DeviceID   string
	ServiceURL string
	Enrolled   time.Time
	// Certificate is the client certificate.
	Certificate *x509.Certificate

	dir     string
	signing ed25519.PrivateKey
	tlsCert tls.Certificate
	roots   []*x509.Certificate

	mu   sync.Mutex
	keys []byte
}

// Load reads the enrollment in dataDir. It is ErrNotEnrolled (wrapped) when
// there is none, and an error naming the file when something is wrong.
func Load(dataDir string) (*Identity, error) {
	dir := Dir(dataDir)
	stb, err := readSecret(dir, stateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s in %s", ErrNotEnrolled, stateFile, dir)
	}
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(stb, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", stateFile, err)
	}
	id := &Identity{DeviceID: st.DeviceID, ServiceURL: st.ServiceURL, Enrolled: st.Enrolled, dir: dir}

	b, err := readSecret(dir, signingKeyFile)
	if err != nil {
		return nil, err
	}
	k, err := parseKey(b)
	clear(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", signingKeyFile, err)
	}
	var ok bool
	if id.signing, ok = k.(ed25519.PrivateKey); !ok {
		return nil, fmt.Errorf("%s: %T, want an Ed25519 key", signingKeyFile, k)
	}

	kb, err := readSecret(dir, tlsKeyFile)
	if err != nil {
		return nil, err
	}
	tlsKey, err := parseECDSA(tlsKeyFile, kb)
	if err != nil {
		return nil, err
	}
	cb, err := readSecret(dir, certFile)
	if err != nil {
		return nil, err
	}
	certs, err := ParseCertificates(cb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	if err := checkCert(certs[0], st.DeviceID, &tlsKey.PublicKey); err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	id.Certificate = certs[0]
	id.tlsCert = tls.Certificate{Certificate: [][]byte{certs[0].Raw}, PrivateKey: tlsKey, Leaf: certs[0]}

	rb, err := readSecret(dir, caFile)
	if err != nil {
		return nil, err
	}
	if id.roots, err = ParseCertificates(rb); err != nil {
		return nil, fmt.Errorf("%s: %w", caFile, err)
	}
	if id.keys, err = readSecret(dir, keysFile); err != nil {
		return nil, err
	}
	return id, nil
}

// Signer signs envelopes with the device's Ed25519 key.
func (id *Identity) Signer() crypto.Signer { return id.signing }

// ClientCertificate is the TLS client certificate with its key.
func (id *Identity) ClientCertificate() tls.Certificate { return id.tlsCert }

// ServiceRoots are the pinned CA certificates for the service.
func (id *Identity) ServiceRoots() []*x509.Certificate { return slices.Clone(id.roots) }

// ServiceKeys returns the pinned service key list as stored.
func (id *Identity) ServiceKeys() []byte {
	id.mu.Lock()
	defer id.mu.Unlock()
	return bytes.Clone(id.keys)
}

// PinServiceKeys replaces the pinned service key list. The caller checks
// the list and where it came from; this only stores it durably.
func (id *Identity) PinServiceKeys(b []byte) error {
	id.mu.Lock()
	defer id.mu.Unlock()
	if bytes.Equal(b, id.keys) {
		return nil
	}
	if err := durable.WriteFile(filepath.Join(id.dir, keysFile), b, 0o600); err != nil {
		return err
	}
	id.keys = bytes.Clone(b)
	return nil
}

// String names the identity without any key material.
func (id *Identity) String() string {
	return fmt.Sprintf("device %s (certificate serial %x)", id.DeviceID, id.Certificate.SerialNumber)
}

// GoString keeps %#v from printing the keys through reflection.
func (id *Identity) GoString() string { return "identity.Identity{" + id.String() + "}" }

// LogValue keeps slog from printing the keys.
func (id *Identity) LogValue() slog.Value {
	return slog.GroupValue(slog.String("device", id.DeviceID), slog.String("serial", fmt.Sprintf("%x", id.Certificate.SerialNumber)))
}

// String names the pending enrollment without any key material.
func (p Pending) String() string { return "pending enrollment of device " + p.DeviceID }

// GoString keeps %#v from printing the keys through reflection.
func (p Pending) GoString() string { return "identity.Pending{" + p.String() + "}" }

// LogValue keeps slog from printing the keys.
func (p Pending) LogValue() slog.Value { return slog.StringValue(p.String()) }
