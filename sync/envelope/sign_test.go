package envelope

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
)

func testSigner(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func sealSigned(t testing.TB, k *PrivateKey, dev ed25519.PrivateKey, photos int) []byte {
	t.Helper()
	env, err := SealSigned(k.Public(), dev, testProfile(t, photos))
	if err != nil {
		t.Fatalf("SealSigned: %v", err)
	}
	return env
}

func TestSealSigned_OpensAndVerifies(t *testing.T) {
	k, dev := testKey(t), testSigner(t)
	want := testProfile(t, 3)
	env, err := SealSigned(k.Public(), dev, want)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Verify(env, dev.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatalf("Verify with the signing key: %v", err)
	}
	if h.Version != VersionSigned || h.Signer != SignerID(dev.Public().(ed25519.PublicKey)) {
		t.Errorf("header version %d signer %q, want %d and the signing key's id", h.Version, h.Signer, VersionSigned)
	}
	oh, got, err := Open(KeyRing{k.KeyID: k}, env)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if d := diffProfile(got, want); d != "" {
		t.Errorf("opened profile differs: %s", d)
	}
	if *oh != *h {
		t.Errorf("Open header %+v, Verify header %+v", oh, h)
	}
	// Ed25519 is deterministic, but the HPKE part is not: sealing the same
	// profile twice must give two envelopes that both verify.
	again, err := SealSigned(k.Public(), dev, want)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again, env) {
		t.Error("two seals of one profile are identical; HPKE encapsulation should be random")
	}
}

// Every byte of a signed envelope is covered: flipping any bit of the
// header, the HPKE part or the signature must fail Verify. The HPKE part is
// large, so it is sampled at its edges and every 997 bytes.
func TestVerify_TamperedAnywhere(t *testing.T) {
	k, dev := testKey(t), testSigner(t)
	pub := dev.Public().(ed25519.PublicKey)
	env := sealSigned(t, k, dev, 2)
	hpkeStart, sigStart := headerEnd(env), len(env)-SignatureSize
	var offsets []int
	for i := range hpkeStart {
		offsets = append(offsets, i)
	}
	for i := hpkeStart; i < sigStart; i += 997 {
		offsets = append(offsets, i)
	}
	offsets = append(offsets, sigStart-1)
	for i := sigStart; i < len(env); i++ {
		offsets = append(offsets, i)
	}
	for _, i := range offsets {
		bad := bytes.Clone(env)
		bad[i] ^= 0x01
		if _, err := Verify(bad, pub); err == nil {
			t.Fatalf("Verify with byte %d of %d flipped: err = nil", i, len(env))
		}
	}
}

// A thief who can read an envelope cannot pass it off as signed by someone
// else, nor re-sign a changed one with a key of their own.
func TestVerify_ResignedByAnotherKey(t *testing.T) {
	k, dev, thief := testKey(t), testSigner(t), testSigner(t)
	devPub := dev.Public().(ed25519.PublicKey)
	env := sealSigned(t, k, dev, 2)

	// 1. Strip the signature and sign the same bytes with another key.
	body := bytes.Clone(env[:len(env)-SignatureSize])
	sig, err := thief.Sign(rand.Reader, body, sigOptions())
	if err != nil {
		t.Fatal(err)
	}
	resigned := append(body, sig...)
	if _, err := Verify(resigned, devPub); !errors.Is(err, ErrSignature) {
		t.Errorf("re-signed by another key, checked against the device's: err = %v, want ErrSignature", err)
	}
	// 2. The same, with the header's signer changed to the thief's key: it
	// verifies under the thief's key, which is why the service checks
	// against the key it enrolled and never the one a header names.
	own, err := SealSigned(k.Public(), thief, testProfile(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(own, devPub); !errors.Is(err, ErrSignature) {
		t.Errorf("sealed and signed by another key: err = %v, want ErrSignature", err)
	}
}

// Turning a signed envelope into an unsigned one (drop the signature,
// rewrite the version) must not give something that opens: the HPKE info
// label differs per version.
func TestOpen_SignatureStrippedDoesNotOpen(t *testing.T) {
	k, dev := testKey(t), testSigner(t)
	env := sealSigned(t, k, dev, 2)
	h, err := ParseHeader(env)
	if err != nil {
		t.Fatal(err)
	}
	h.Version, h.Signer = Version, ""
	hb, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	v1 := append([]byte{'I', 'D', 'K', 'E', Version}, binary.BigEndian.AppendUint16(nil, uint16(len(hb)))...)
	v1 = append(append(v1, hb...), env[headerEnd(env):len(env)-SignatureSize]...)
	if _, err := ParseHeader(v1); err != nil {
		t.Fatalf("the downgraded frame should parse as v1 (so that Open is what refuses it): %v", err)
	}
	if _, p, err := Open(KeyRing{k.KeyID: k}, v1); err == nil {
		t.Fatalf("a v2 envelope re-framed as v1 opened: profile %s", p.ID)
	}
	if _, err := Verify(v1, dev.Public().(ed25519.PublicKey)); !errors.Is(err, ErrUnsigned) {
		t.Errorf("Verify(v1): err = %v, want ErrUnsigned", err)
	}
}

func TestParseHeader_SignedFraming(t *testing.T) {
	k, dev := testKey(t), testSigner(t)
	env := sealSigned(t, k, dev, 2)
	hdr := func(version byte, json string, tail int) []byte {
		b := []byte{'I', 'D', 'K', 'E', version, byte(len(json) >> 8), byte(len(json))}
		return append(append(b, json...), make([]byte, tail)...)
	}
	for _, tt := range []struct {
		name string
		env  []byte
	}{
		{"v2 without a signer", hdr(2, `{"v":2,"profile_id":"p","key_id":"k"}`, 200)},
		{"v1 with a signer", hdr(1, `{"v":1,"profile_id":"p","key_id":"k","signer":"s"}`, 200)},
		{"v2 too short for its signature", hdr(2, `{"v":2,"profile_id":"p","key_id":"k","signer":"s"}`, SignatureSize-1)},
		{"v2 with its signature cut off", env[:headerEnd(env)+10]},
		{"version 3", append([]byte{'I', 'D', 'K', 'E', 3}, env[5:]...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseHeader(tt.env); !errors.Is(err, ErrFormat) {
				t.Errorf("ParseHeader: err = %v, want ErrFormat", err)
			}
		})
	}
	// The smallest well-framed v2 (header + bare signature) parses.
	if _, err := ParseHeader(hdr(2, `{"v":2,"profile_id":"p","key_id":"k","signer":"s"}`, SignatureSize)); err != nil {
		t.Errorf("header followed by a signature: %v", err)
	}
}

func TestVerify_Unsigned(t *testing.T) {
	k, dev := testKey(t), testSigner(t)
	env := seal(t, k, testProfile(t, 2))
	if _, err := Verify(env, dev.Public().(ed25519.PublicKey)); !errors.Is(err, ErrUnsigned) {
		t.Errorf("Verify(v1 envelope): err = %v, want ErrUnsigned", err)
	}
}

// A crypto.Signer that is not Ed25519 (an ECDSA TLS key handed over by
// mistake) must be refused, not produce an envelope nobody can verify.
func TestSealSigned_NotEd25519(t *testing.T) {
	k := testKey(t)
	if _, err := SealSigned(k.Public(), notEd25519{}, testProfile(t, 2)); err == nil {
		t.Error("SealSigned with a non-Ed25519 signer: err = nil")
	}
}
