package envelope

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFiles_RoundTrip(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	privPath, pubPath, err := WriteKeyPair(dir, k)
	if err != nil {
		t.Fatalf("WriteKeyPair: %v", err)
	}
	if fi, err := os.Stat(privPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key file %s: mode %v (err %v), want 0600", privPath, fi.Mode().Perm(), err)
	}
	if got, want := filepath.Base(pubPath), k.KeyID+".pub"; got != want {
		t.Errorf("public key file = %s, want %s", got, want)
	}

	pub, err := LoadPublicKey(pubPath)
	if err != nil {
		t.Fatalf("LoadPublicKey: %v", err)
	}
	priv, err := LoadPrivateKey(privPath)
	if err != nil {
		t.Fatalf("LoadPrivateKey: %v", err)
	}
	if pub.KeyID != k.KeyID || priv.KeyID != k.KeyID || pub.Suite != DefaultSuite {
		t.Errorf("loaded key ids %s / %s suite %+v, want %s %+v", pub.KeyID, priv.KeyID, pub.Suite, k.KeyID, DefaultSuite)
	}

	// The loaded halves work together, and with the original.
	want := testProfile(t, 2)
	env, err := Seal(pub, want)
	if err != nil {
		t.Fatal(err)
	}
	for name, ring := range map[string]KeyRing{"loaded": {priv.KeyID: priv}, "original": {k.KeyID: k}} {
		if _, got, err := Open(ring, env); err != nil {
			t.Errorf("Open with the %s private key: %v", name, err)
		} else if d := diffProfile(got, want); d != "" {
			t.Errorf("Open with the %s private key: %s", name, d)
		}
	}

	if _, _, err := WriteKeyPair(dir, k); err == nil {
		t.Error("second WriteKeyPair to the same dir: err = nil, want a refusal to overwrite")
	}
}

// editKeyFile rewrites one JSON field of a key file.
func editKeyFile(t *testing.T, path, field string, value any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m[field] = value
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadKey_KeyIDMismatch(t *testing.T) {
	k, other := testKey(t), testKey(t)
	for _, tt := range []struct {
		name string
		load func(string) error
		priv bool
	}{
		{"public", func(p string) error { _, err := LoadPublicKey(p); return err }, false},
		{"private", func(p string) error { _, err := LoadPrivateKey(p); return err }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			privPath, pubPath, err := WriteKeyPair(t.TempDir(), k)
			if err != nil {
				t.Fatal(err)
			}
			path := pubPath
			if tt.priv {
				path = privPath
			}
			editKeyFile(t, path, "key_id", other.KeyID)
			err = tt.load(path)
			if err == nil || !strings.Contains(err.Error(), "key_id") {
				t.Errorf("load with key_id of another key: err = %v, want a key_id mismatch", err)
			}
		})
	}
}

// A private key copied onto a kiosk as if it were the public one must be
// refused, not silently used for its public half.
func TestLoadPublicKey_RejectsPrivateKeyFile(t *testing.T) {
	privPath, _, err := WriteKeyPair(t.TempDir(), testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPublicKey(privPath); err == nil || !strings.Contains(err.Error(), "private key") {
		t.Errorf("LoadPublicKey(private key file): err = %v, want a refusal naming the private key", err)
	}
}

func TestLoadKey_Garbage(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ name, content string }{
		{"not json", "ssh-ed25519 AAAA"},
		{"empty object", "{}"},
		{"unknown suite", `{"key_id":"x","suite":{"kem":1,"kdf":1,"aead":1},"public_key":"AAAA"}`},
		{"short key", `{"key_id":"x","suite":{"kem":25722,"kdf":1,"aead":3},"public_key":"AAAA","private_key":"AAAA"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadPublicKey(path); err == nil {
				t.Error("LoadPublicKey: err = nil, want an error")
			}
			if _, err := LoadPrivateKey(path); err == nil {
				t.Error("LoadPrivateKey: err = nil, want an error")
			}
		})
	}
	if _, err := LoadPublicKey(filepath.Join(dir, "missing.pub")); err == nil {
		t.Error("LoadPublicKey(missing file): err = nil, want an error")
	}
}

func TestDeriveKey_Deterministic(t *testing.T) {
	ikm := bytes.Repeat([]byte{0x42}, 32)
	a, err := DeriveKey(DefaultSuite, ikm)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DeriveKey(DefaultSuite, ikm)
	if err != nil {
		t.Fatal(err)
	}
	c, err := DeriveKey(DefaultSuite, bytes.Repeat([]byte{0x43}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if a.KeyID != b.KeyID {
		t.Errorf("DeriveKey twice from the same ikm: key ids %s and %s, want equal", a.KeyID, b.KeyID)
	}
	if a.KeyID == c.KeyID {
		t.Errorf("DeriveKey from different ikm: both key id %s", a.KeyID)
	}
}
