package envelope

import (
	"bytes"
	"crypto"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/api/apitest"
)

// testJPEG makes the test vector's photos (vector_test.go). apitest.JPEG
// gives the committed photos' exact bytes, so -update reproduces them.
func testJPEG(t testing.TB, w, h int, seed uint8) []byte {
	t.Helper()
	return apitest.JPEG(t, w, h, seed)
}

// testProfile returns a complete profile with 2 photos (one-sided ID) or 3
// (two-sided).
func testProfile(t testing.TB, photos int) *api.Profile {
	t.Helper()
	return apitest.Profile(t, apitest.Options{TwoSided: photos == 3, Photos: photos})
}

func testKey(t testing.TB) *PrivateKey {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func seal(t testing.TB, k *PrivateKey, p *api.Profile) []byte {
	t.Helper()
	env, err := Seal(k.Public(), p)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return env
}

// headerEnd is the offset where the HPKE part of env begins.
func headerEnd(env []byte) int {
	return 7 + int(binary.BigEndian.Uint16(env[5:7]))
}

// diffProfile describes how got differs from want, or returns "".
func diffProfile(got, want *api.Profile) string {
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		return fmt.Sprintf("document:\n got %s\nwant %s", gj, wj)
	}
	for i := range want.Photos {
		if !bytes.Equal(got.Photos[i].JPEG, want.Photos[i].JPEG) {
			return fmt.Sprintf("photo %d (%s): %d bytes differ from the %d sealed",
				i, want.Photos[i].Kind, len(got.Photos[i].JPEG), len(want.Photos[i].JPEG))
		}
	}
	return ""
}

// notEd25519 is a crypto.Signer with a public key of another type.
type notEd25519 struct{}

func (notEd25519) Public() crypto.PublicKey { return "not a key" }
func (notEd25519) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return make([]byte, 64), nil
}
