package envelope

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/idkiosk/idkiosk/sync/api"
)

// BenchmarkSeal measures what the device signature adds to sealing one ~400 KB profile: Ed25519 hashes the whole
// envelope once (SHA-512), next to HPKE's ChaCha20-Poly1305 pass over it.
func BenchmarkSeal(b *testing.B) {
	k := testKey(b)
	_, dev, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	p := bigProfile(b)
	size := 0
	for _, ph := range p.Photos {
		size += len(ph.JPEG)
	}
	for _, bb := range []struct {
		name string
		seal func() ([]byte, error)
	}{
		{"unsigned", func() ([]byte, error) { return Seal(k.Public(), p) }},
		{"signed", func() ([]byte, error) { return SealSigned(k.Public(), dev, p) }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := bb.seal(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify is the service's cost per envelope for the signature.
func BenchmarkVerify(b *testing.B) {
	k := testKey(b)
	pub, dev, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	env, err := SealSigned(k.Public(), dev, bigProfile(b))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(env)))
	for b.Loop() {
		if _, err := Verify(env, pub); err != nil {
			b.Fatal(err)
		}
	}
}

// bigProfile is a two-sided profile whose photos add up to ~400 KB, the
// size of one from a 1080p camera (zero padding: sealing cost does not
// depend on the bytes).
func bigProfile(b *testing.B) *api.Profile {
	b.Helper()
	p := testProfile(b, 3)
	for i := range p.Photos {
		p.Photos[i].JPEG = append(p.Photos[i].JPEG, make([]byte, 400<<10/3)...)
	}
	return p
}
