package apitest

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/api"
)

// JPEG encodes a w x h gradient as a real JPEG whose bytes depend on seed,
// so photos decode like camera captures and two photos are told apart by
// their bytes. The envelope's committed test vector holds photos made by
// this function (seeds 1, 41, 81 at 64x48): a change here changes what
// `go test ./sync/envelope -run Vector -update` would write.
func JPEG(t testing.TB, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			p := img.Pix[img.PixOffset(x, y):][:4]
			p[0], p[1], p[2], p[3] = uint8(x*4)+seed, uint8(y*4)^seed, seed, 0xff
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatalf("apitest: encode %dx%d JPEG: %v", w, h, err)
	}
	return b.Bytes()
}

// Options choose a test profile's fields; zero fields take the defaults
// noted, which together make a complete, valid profile.
type Options struct {
	ID       string // a fresh random UUID
	DeviceID string // "kiosk-test-01"
	Email    string // "zoe.lefevre@example.org"
	// FullName defaults to a name in several scripts with diacritics, so
	// every layer that carries it is tested beyond ASCII.
	FullName string
	Language string     // "fr"
	IDType   api.IDType // api.IDNationalCard
	TwoSided bool
	// Created defaults to a time with nanoseconds and a non-UTC zone, so a
	// lossy time encoding shows up in comparisons.
	Created       time.Time
	Width, Height int // of every photo; 64 x 48
	// Photos is how many of api.RequiredPhotos(TwoSided) to include, in
	// order; 0 means all of them (a complete profile), fewer makes an
	// incomplete one.
	Photos int
}

// Default field values; see Options.
const (
	DefaultDeviceID = "kiosk-test-01"
	DefaultEmail    = "zoe.lefevre@example.org"
	DefaultFullName = "Zoë Lefèvre-Nguyễn 山田 محمد"
	DefaultLanguage = "fr"
)

// Profile returns a profile built from o. Its photos are real JPEGs (see
// JPEG) with distinct bytes, of kinds in api.RequiredPhotos order, taken a
// minute apart before Created.
func Profile(t testing.TB, o Options) *api.Profile {
	t.Helper()
	p := &api.Profile{
		ID:       or(o.ID, uuid.NewString()),
		DeviceID: or(o.DeviceID, DefaultDeviceID),
		Created:  o.Created,
		Language: or(o.Language, DefaultLanguage),
		Email:    or(o.Email, DefaultEmail),
		FullName: or(o.FullName, DefaultFullName),
		IDType:   or(o.IDType, api.IDNationalCard),
		TwoSided: o.TwoSided,
	}
	if p.Created.IsZero() {
		p.Created = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CET", 3600))
	}
	w, h := or(o.Width, 64), or(o.Height, 48)
	kinds := api.RequiredPhotos(o.TwoSided)
	n := or(o.Photos, len(kinds))
	if n < 0 || n > len(kinds) {
		t.Fatalf("apitest: %d photos asked, a profile with TwoSided=%v has 0 to %d", o.Photos, o.TwoSided, len(kinds))
	}
	for i, kind := range kinds[:n] {
		p.Photos = append(p.Photos, api.Photo{
			Kind:     kind,
			Width:    w,
			Height:   h,
			Captured: p.Created.Add(-time.Duration(n-i) * time.Minute),
			Source:   "sim",
			JPEG:     JPEG(t, w, h, uint8(17*i+3)),
		})
	}
	return p
}

// or returns v, or def when v is the zero value.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
