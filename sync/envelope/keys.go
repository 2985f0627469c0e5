package envelope

import (
	"crypto/hpke"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Suite names an HPKE ciphersuite by its IANA identifiers.
type Suite struct {
	KEM  uint16 `json:"kem"`
	KDF  uint16 `json:"kdf"`
	AEAD uint16 `json:"aead"`
}

// DefaultSuite is ML-KEM-768 + X25519 hybrid, HKDF-SHA256, ChaCha20-Poly1305.
//
// The hybrid KEM because ID photos stay sensitive for decades and a recorded
// envelope must not open once large quantum computers exist ("harvest now,
// decrypt later"); X25519 inside it keeps today's security if ML-KEM falls.
// ChaCha20-Poly1305 because the Raspberry Pi 4's Cortex-A72 has no ARMv8
// crypto extensions, where AES-GCM runs several times slower in software.
var DefaultSuite = Suite{KEM: 0x647a, KDF: 0x0001, AEAD: 0x0003}

func (s Suite) parts() (hpke.KEM, hpke.KDF, hpke.AEAD, error) {
	kem, err := hpke.NewKEM(s.KEM)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("suite kem 0x%04x: %w", s.KEM, err)
	}
	kdf, err := hpke.NewKDF(s.KDF)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("suite kdf 0x%04x: %w", s.KDF, err)
	}
	aead, err := hpke.NewAEAD(s.AEAD)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("suite aead 0x%04x: %w", s.AEAD, err)
	}
	return kem, kdf, aead, nil
}

// PublicKey is the service key a kiosk seals to. KeyID is derived from the
// key bytes, so a configured ID can never point at the wrong key.
type PublicKey struct {
	KeyID string
	Suite Suite
	key   hpke.PublicKey
}

// PrivateKey is the service's opening key. It never exists on a kiosk.
type PrivateKey struct {
	KeyID string
	Suite Suite
	// Created is when GenerateKey made the key; zero for keys written
	// before it was recorded. The service's newest key is its current one.
	Created time.Time
	key     hpke.PrivateKey
}

// keyID is the first 8 bytes of SHA-256 over the suite's KEM id and the
// serialized public key, in hex: short enough to log, long enough not to collide
// in one service's key ring.
func keyID(kem uint16, pub []byte) string {
	h := sha256.New()
	h.Write([]byte{byte(kem >> 8), byte(kem)})
	h.Write(pub)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// GenerateKey makes a new service key pair with DefaultSuite.
func GenerateKey() (*PrivateKey, error) {
	return generateKey(DefaultSuite)
}

func generateKey(s Suite) (*PrivateKey, error) {
	kem, _, _, err := s.parts()
	if err != nil {
		return nil, err
	}
	k, err := kem.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate %04x key: %w", s.KEM, err)
	}
	// Full precision: two keys made in the same second must still have
	// an order, since the newest becomes current.
	created := time.Now().UTC().Round(0)
	return &PrivateKey{KeyID: keyID(s.KEM, k.PublicKey().Bytes()), Suite: s, Created: created, key: k}, nil
}

// DeriveKey derives a key pair deterministically from ikm (RFC 9180
// DeriveKeyPair). Only test vectors use it; real keys come from GenerateKey.
func DeriveKey(s Suite, ikm []byte) (*PrivateKey, error) {
	kem, _, _, err := s.parts()
	if err != nil {
		return nil, err
	}
	k, err := kem.DeriveKeyPair(ikm)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	return &PrivateKey{KeyID: keyID(s.KEM, k.PublicKey().Bytes()), Suite: s, key: k}, nil
}

// Public returns the public half of k.
func (k *PrivateKey) Public() *PublicKey {
	return &PublicKey{KeyID: k.KeyID, Suite: k.Suite, key: k.key.PublicKey()}
}

// keyFile is the JSON form of both key kinds on disk.
type keyFile struct {
	KeyID   string    `json:"key_id"`
	Suite   Suite     `json:"suite"`
	Public  []byte    `json:"public_key"`
	Private []byte    `json:"private_key,omitempty"`
	Created time.Time `json:"created,omitzero"`
}

// MarshalJSON writes the public key as {"key_id", "suite", "public_key"}.
func (k *PublicKey) MarshalJSON() ([]byte, error) {
	return json.Marshal(keyFile{KeyID: k.KeyID, Suite: k.Suite, Public: k.key.Bytes()})
}

// UnmarshalJSON reads a public key and checks that its key ID matches its bytes.
func (k *PublicKey) UnmarshalJSON(b []byte) error {
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if f.Private != nil {
		// Refuse rather than ignore: a private key in a kiosk's config means
		// someone copied the wrong file onto a device that may be stolen.
		return errors.New("public key file contains a private key; give the kiosk only the .pub file")
	}
	kem, _, _, err := f.Suite.parts()
	if err != nil {
		return err
	}
	pub, err := kem.NewPublicKey(f.Public)
	if err != nil {
		return fmt.Errorf("public key: %w", err)
	}
	if id := keyID(f.Suite.KEM, f.Public); f.KeyID != id {
		return fmt.Errorf("public key: key_id %q does not match the key (want %q)", f.KeyID, id)
	}
	*k = PublicKey{KeyID: f.KeyID, Suite: f.Suite, key: pub}
	return nil
}

// MarshalJSON writes the private key with its public half.
func (k *PrivateKey) MarshalJSON() ([]byte, error) {
	priv, err := k.key.Bytes()
	if err != nil {
		return nil, fmt.Errorf("serialize private key: %w", err)
	}
	return json.Marshal(keyFile{KeyID: k.KeyID, Suite: k.Suite, Public: k.key.PublicKey().Bytes(), Private: priv, Created: k.Created})
}

// UnmarshalJSON reads a private key and checks it against its public half.
func (k *PrivateKey) UnmarshalJSON(b []byte) error {
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	kem, _, _, err := f.Suite.parts()
	if err != nil {
		return err
	}
	priv, err := kem.NewPrivateKey(f.Private)
	if err != nil {
		return fmt.Errorf("private key: %w", err)
	}
	id := keyID(f.Suite.KEM, priv.PublicKey().Bytes())
	if f.KeyID != id {
		return fmt.Errorf("private key: key_id %q does not match the key (want %q)", f.KeyID, id)
	}
	*k = PrivateKey{KeyID: id, Suite: f.Suite, Created: f.Created, key: priv}
	return nil
}

// LoadPublicKey reads a public key file written by WriteKeyPair.
func LoadPublicKey(path string) (*PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read service public key: %w", err)
	}
	var k PublicKey
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("service public key %s: %w", path, err)
	}
	return &k, nil
}

// LoadPrivateKey reads a private key file written by WriteKeyPair.
func LoadPrivateKey(path string) (*PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read service private key: %w", err)
	}
	var k PrivateKey
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("service private key %s: %w", path, err)
	}
	return &k, nil
}

// WriteKeyPair writes k to dir as <key id>.key (mode 0600) and <key id>.pub,
// refusing to overwrite an existing file, and returns both paths.
func WriteKeyPair(dir string, k *PrivateKey) (privPath, pubPath string, err error) {
	priv, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return "", "", err
	}
	pub, err := json.MarshalIndent(k.Public(), "", "  ")
	if err != nil {
		return "", "", err
	}
	privPath = filepath.Join(dir, k.KeyID+".key")
	pubPath = filepath.Join(dir, k.KeyID+".pub")
	if err := writeNew(privPath, append(priv, '\n'), 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(pubPath, append(pub, '\n'), 0o644); err != nil {
		return "", "", err
	}
	return privPath, pubPath, nil
}

func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync key %s: %w", path, err)
	}
	return f.Close()
}
