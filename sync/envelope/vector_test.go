package envelope

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

var update = flag.Bool("update", false, "regenerate testdata/v1 (a new vector must be committed deliberately)")

const vectorDir = "testdata/v1"

// vectorIKM derives the vector's service key, so anyone can recreate the key
// from this file and check service.key was not swapped.
var vectorIKM = []byte("idkiosk envelope test vector v1, fixed ikm, not a secret")

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

// writeVector regenerates testdata/v1 with `go test -run TestVector -update`.
// The envelope differs on every run (HPKE encapsulation is randomised); the
// key, profile and photos do not.
func writeVector(t *testing.T) {
	k, err := DeriveKey(DefaultSuite, vectorIKM)
	if err != nil {
		t.Fatal(err)
	}
	p := vectorProfile(t)
	env := seal(t, k, p)
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
	for _, ph := range p.Photos {
		files[photoFile(ph.Kind)] = ph.JPEG
	}
	if err := os.MkdirAll(vectorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(vectorDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d files to %s", len(files), vectorDir)
}

func readVector(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatalf("test vector: %v (regenerate with -update only if the format changed on purpose)", err)
	}
	return b
}

// TestVector opens the committed v1 envelope. If this fails, this build can
// no longer read envelopes that kiosks in the field have already written.
func TestVector(t *testing.T) {
	if *update {
		writeVector(t)
	}
	var k PrivateKey
	if err := json.Unmarshal(readVector(t, "service.key"), &k); err != nil {
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
	if err := json.Unmarshal(readVector(t, "profile.json"), &want); err != nil {
		t.Fatalf("profile.json: %v", err)
	}
	for i := range want.Photos {
		want.Photos[i].JPEG = readVector(t, photoFile(want.Photos[i].Kind))
	}

	env := readVector(t, "envelope.bin")
	h, got, err := Open(KeyRing{k.KeyID: &k}, env)
	if err != nil {
		t.Fatalf("Open(envelope.bin): %v", err)
	}
	if d := diffProfile(got, &want); d != "" {
		t.Errorf("envelope.bin opens to a different profile than profile.json: %s", d)
	}
	wantHdr := Header{Version: 1, ProfileID: want.ID, DeviceID: want.DeviceID, Created: want.Created, KeyID: k.KeyID, Suite: DefaultSuite}
	if fmt.Sprint(*h) != fmt.Sprint(wantHdr) {
		t.Errorf("header = %+v, want %+v", *h, wantHdr)
	}
	if !bytes.HasPrefix(env, []byte("IDKE\x01")) {
		t.Errorf("envelope.bin starts %q, want IDKE version 1", env[:5])
	}
}
