package envelope

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds are well-formed envelopes and their near misses.
func fuzzSeeds(f *testing.F, k *PrivateKey) {
	env := seal(f, k, testProfile(f, 2))
	f.Add(env)
	f.Add(env[:headerEnd(env)])
	f.Add(env[:headerEnd(env)+1120])
	f.Add([]byte("IDKE\x01\x00\x02{}"))
	f.Add([]byte{})
	signed, err := SealSigned(k.Public(), testSigner(f), testProfile(f, 2))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	f.Add(signed[:len(signed)-SignatureSize])
	for _, v := range []int{Version, VersionSigned} {
		if b, err := os.ReadFile(filepath.Join(vectorDir(v), "envelope.bin")); err == nil {
			f.Add(b)
		}
	}
}

// FuzzOpen feeds arbitrary bytes to Open: it must never panic, and whatever
// it accepts must agree with its own header. (Forging an envelope is not
// something a fuzzer can do; this guards the parsing around the crypto.)
func FuzzOpen(f *testing.F) {
	k, err := DeriveKey(DefaultSuite, vectorIKM)
	if err != nil {
		f.Fatal(err)
	}
	fuzzSeeds(f, k)
	keys := KeyRing{k.KeyID: k}
	f.Fuzz(func(t *testing.T, env []byte) {
		h, p, err := Open(keys, env)
		if err != nil {
			if p != nil {
				t.Fatalf("Open failed (%v) but returned a profile", err)
			}
			return
		}
		if p.ID != h.ProfileID || p.DeviceID != h.DeviceID {
			t.Fatalf("Open accepted a profile %s/%s under header %s/%s", p.ID, p.DeviceID, h.ProfileID, h.DeviceID)
		}
	})
}

// FuzzParseHeader checks that the clear header parser never panics and that
// what it accepts is a complete header that survives a round trip.
func FuzzParseHeader(f *testing.F) {
	fuzzSeeds(f, testKey(f))
	f.Fuzz(func(t *testing.T, env []byte) {
		h, err := ParseHeader(env)
		if err != nil {
			return
		}
		if (h.Version != Version && h.Version != VersionSigned) || h.ProfileID == "" || h.KeyID == "" ||
			(h.Version == VersionSigned) != (h.Signer != "") {
			t.Fatalf("ParseHeader accepted an incomplete header %+v", h)
		}
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatalf("accepted header does not marshal: %v", err)
		}
		frame := append([]byte{'I', 'D', 'K', 'E', byte(h.Version), byte(len(b) >> 8), byte(len(b))}, b...)
		if h.Version == VersionSigned {
			frame = append(frame, make([]byte, SignatureSize)...)
		}
		h2, err := ParseHeader(frame)
		if err != nil || !bytes.Equal(mustJSON(t, h2), b) {
			t.Fatalf("header %s does not round-trip: %+v, %v", b, h2, err)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
