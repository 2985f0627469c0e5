package envelope

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

// updateVector regenerates one vector directory. It names a version so that
// regenerating v2 can never silently replace v1: the committed v1 envelope
// is the proof that this build still reads what kiosks in the field wrote.
var updateVector = flag.Int("update-vector", 0, "regenerate testdata/v`N` (a new vector must be committed deliberately)")

func vectorDir(version int) string { return fmt.Sprintf("testdata/v%d", version) }

// vectorIKM derives the vector's service key, so anyone can recreate the key
// from this file and check service.key was not swapped.
var vectorIKM = []byte("idkiosk envelope test vector v1, fixed ikm, not a secret")

// vectorDeviceSeed derives the v2 vector's device signing key the same way.
var vectorDeviceSeed = sha256.Sum256([]byte("idkiosk envelope test vector v2, device signing key, not a secret"))

func vectorDeviceKey() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(vectorDeviceSeed[:]) }

func vectorProfile(t *testing.T) *api.Profile {
	created := time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)
	p := &api.Profile{
		ID:       "0f8c1a6e-3b7d-4c52-9e41-7a2d5b8c9f10",
		DeviceID: "kiosk-vector-01",
		Created:  created,
		Language: "es",
		Email:    "maría.núñez@example.org",
		FullName: "María José Núñez Øvergård 王小明",
		IDType:   api.IDNationalCard,
		TwoSided: true,
	}
	for i, kind := range api.RequiredPhotos(true) {
		p.Photos = append(p.Photos, api.Photo{
			Kind:     kind,
			Width:    64,
			Height:   48,
			Captured: created.Add(time.Duration(i-3) * time.Minute),
			Source:   "sim",
			JPEG:     testJPEG(t, 64, 48, uint8(40*i+1)),
		})
	}
	return p
}

func photoFile(k api.PhotoKind) string { return "photo-" + string(k) + ".jpg" }

// writeVector regenerates testdata/v<version> with
// `go test -run TestVector -update-vector <version>`. The envelope differs on
// every run (HPKE encapsulation is randomised); the keys, profile and photos
// do not.
func writeVector(t *testing.T, version int) {
	k, err := DeriveKey(DefaultSuite, vectorIKM)
	if err != nil {
		t.Fatal(err)
	}
	p := vectorProfile(t)
	var env []byte
	switch version {
	case Version:
		env = seal(t, k, p)
	case VersionSigned:
		if env, err = SealSigned(k.Public(), vectorDeviceKey(), p); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("-update-vector %d: this build writes versions %d and %d", version, Version, VersionSigned)
	}
	key, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"service.key":  append(key, '\n'),
		"envelope.bin": env,
		"profile.json": append(doc, '\n'),
	}
	if version == VersionSigned {
		files["device.pub"] = []byte(hex.EncodeToString(vectorDeviceKey().Public().(ed25519.PublicKey)) + "\n")
	}
	for _, ph := range p.Photos {
		files[photoFile(ph.Kind)] = ph.JPEG
	}
	dir := vectorDir(version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d files to %s", len(files), dir)
}

func readVector(t *testing.T, version int, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir(version), name))
	if err != nil {
		t.Fatalf("test vector: %v (regenerate with -update-vector only if the format changed on purpose)", err)
	}
	return b
}

// openVector opens a committed vector and checks it against its
// profile.json and photos.
func openVector(t *testing.T, version int) (*Header, []byte) {
	t.Helper()
	var k PrivateKey
	if err := json.Unmarshal(readVector(t, version, "service.key"), &k); err != nil {
		t.Fatalf("service.key: %v", err)
	}
	derived, err := DeriveKey(DefaultSuite, vectorIKM)
	if err != nil {
		t.Fatal(err)
	}
	if derived.KeyID != k.KeyID {
		t.Errorf("service.key has key id %s, DeriveKey(vectorIKM) gives %s", k.KeyID, derived.KeyID)
	}

	var want api.Profile
	if err := json.Unmarshal(readVector(t, version, "profile.json"), &want); err != nil {
		t.Fatalf("profile.json: %v", err)
	}
	for i := range want.Photos {
		want.Photos[i].JPEG = readVector(t, version, photoFile(want.Photos[i].Kind))
	}

	env := readVector(t, version, "envelope.bin")
	h, got, err := Open(KeyRing{k.KeyID: &k}, env)
	if err != nil {
		t.Fatalf("Open(envelope.bin): %v", err)
	}
	if d := diffProfile(got, &want); d != "" {
		t.Errorf("envelope.bin opens to a different profile than profile.json: %s", d)
	}
	wantHdr := Header{Version: version, ProfileID: want.ID, DeviceID: want.DeviceID, Created: want.Created, KeyID: k.KeyID, Suite: DefaultSuite}
	if version == VersionSigned {
		wantHdr.Signer = SignerID(vectorDeviceKey().Public().(ed25519.PublicKey))
	}
	if fmt.Sprint(*h) != fmt.Sprint(wantHdr) {
		t.Errorf("header = %+v, want %+v", *h, wantHdr)
	}
	if magic := fmt.Sprintf("IDKE%c", version); !bytes.HasPrefix(env, []byte(magic)) {
		t.Errorf("envelope.bin starts %q, want IDKE version %d", env[:5], version)
	}
	return h, env
}

// TestVector opens the committed v1 envelope. If this fails, this build can
// no longer read envelopes that kiosks in the field have already written.
func TestVector(t *testing.T) {
	if *updateVector == Version {
		writeVector(t, Version)
	}
	_, env := openVector(t, Version)
	if _, err := Verify(env, vectorDeviceKey().Public().(ed25519.PublicKey)); err != ErrUnsigned {
		t.Errorf("Verify(v1 vector): err = %v, want ErrUnsigned", err)
	}
}

// TestVectorV2 opens the committed v2 envelope and checks its signature
// against device.pub, which must be the key derived from vectorDeviceSeed.
func TestVectorV2(t *testing.T) {
	if *updateVector == VersionSigned {
		writeVector(t, VersionSigned)
	}
	_, env := openVector(t, VersionSigned)
	pubHex := strings.TrimSpace(string(readVector(t, VersionSigned, "device.pub")))
	pub, err := hex.DecodeString(pubHex)
	if err != nil || !bytes.Equal(pub, vectorDeviceKey().Public().(ed25519.PublicKey)) {
		t.Fatalf("device.pub = %s (%v), want the key derived from vectorDeviceSeed", pubHex, err)
	}
	if _, err := Verify(env, pub); err != nil {
		t.Errorf("Verify(envelope.bin, device.pub): %v", err)
	}
}
