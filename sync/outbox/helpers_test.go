package outbox

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/api/apitest"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

// Markers planted in every test profile, so a scan of the file can prove no
// plaintext reached it.
const (
	markerName  = "Åsa Markerström-Ñúñez"
	markerEmail = "asa.marker.7731@example.org"
	markerPhoto = "PHOTO-MARKER-8f3a91c2d4"
)

// t0 is the clock of most tests: a fixed time makes NextAttempt checks exact.
var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// sealer seals test profiles to a throwaway service key.
type sealer struct {
	t   testing.TB
	pub *envelope.PublicKey
}

func newSealer(t testing.TB) *sealer {
	k, err := envelope.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &sealer{t: t, pub: k.Public()}
}

// profile returns a complete profile carrying the markers; its photos are
// marker bytes between JPEG start and end markers, so a scan finds them.
func (s *sealer) profile() *api.Profile {
	p := apitest.Profile(s.t, apitest.Options{
		DeviceID: "kiosk-outbox-test",
		Email:    markerEmail,
		FullName: markerName,
		Language: "sv",
		IDType:   api.IDPassport,
		Created:  t0,
	})
	for i := range p.Photos {
		jpeg := append([]byte{0xff, 0xd8}, bytes.Repeat([]byte(markerPhoto), 64)...)
		p.Photos[i].JPEG = append(jpeg, 0xff, 0xd9)
	}
	return p
}

// item seals a fresh profile and returns it as a NewItem.
func (s *sealer) item() NewItem {
	p := s.profile()
	env, err := envelope.Seal(s.pub, p)
	if err != nil {
		s.t.Fatal(err)
	}
	return NewItem{ID: p.ID, Created: p.Created, Sealed: env}
}

func openTest(t testing.TB, path string, opts Options) *Outbox {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	o, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func testPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "outbox", "outbox.db")
}

func put(t testing.TB, o *Outbox, items ...NewItem) {
	t.Helper()
	for _, it := range items {
		if err := o.Put(context.Background(), it); err != nil {
			t.Fatalf("Put(%s): %v", it.ID, err)
		}
	}
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func itemIDs(items []Item) []string { return ids(items, func(i Item) string { return i.ID }) }

func newIDs(items []NewItem) []string { return ids(items, func(i NewItem) string { return i.ID }) }

func mustStats(t testing.TB, o *Outbox) Stats {
	t.Helper()
	s, err := o.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustDue(t testing.TB, o *Outbox, now time.Time, max int) []Item {
	t.Helper()
	items, err := o.Due(now, max)
	if err != nil {
		t.Fatal(err)
	}
	return items
}
