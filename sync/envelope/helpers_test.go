package envelope

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/api"
)

// testJPEG encodes a small gradient so that photos are real JPEGs that
// differ by seed.
func testJPEG(t testing.TB, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x*4) + seed, uint8(y*4) ^ seed, seed, 0xff})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testProfile returns a complete profile with 2 photos (one-sided ID) or 3
// (two-sided), and a name that exercises more than ASCII.
func testProfile(t testing.TB, photos int) *api.Profile {
	t.Helper()
	created := time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CET", 3600))
	p := &api.Profile{
		ID:       uuid.NewString(),
		DeviceID: "kiosk-test-01",
		Created:  created,
		Language: "fr",
		Email:    "zoe.lefevre@example.org",
		FullName: "Zoë Lefèvre-Nguyễn 山田 محمد",
		IDType:   api.IDNationalCard,
		TwoSided: photos == 3,
	}
	for i, kind := range api.RequiredPhotos(p.TwoSided)[:photos] {
		p.Photos = append(p.Photos, api.Photo{
			Kind:     kind,
			Width:    64,
			Height:   48,
			Captured: created.Add(-time.Duration(photos-i) * time.Minute),
			Source:   "sim",
			JPEG:     testJPEG(t, 64, 48, uint8(17*i+3)),
		})
	}
	return p
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
