package outbox

import (
	"bytes"
	"os"
	"testing"

	"github.com/idkiosk/idkiosk/sync/api"
)

// scanFile reports which markers occur in the raw bytes of path, whether in
// live pages or in free pages that still hold deleted values.
func scanFile(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, m := range []string{markerName, markerEmail, markerPhoto} {
		if bytes.Contains(raw, []byte(m)) {
			found = append(found, m)
		}
	}
	return found
}

// TestFile_NoPlaintext is the stolen-kiosk test: put sealed profiles that
// carry a known name, email and photo marker through every state (queued,
// deferred, delivered, dead), then search the whole file for them.
func TestFile_NoPlaintext(t *testing.T) {
	s := newSealer(t)

	// The markers are really in what gets sealed, or this test proves nothing.
	plain, err := api.EncodePayload(s.profile())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{markerName, markerEmail, markerPhoto} {
		if !bytes.Contains(plain, []byte(m)) {
			t.Fatalf("marker %q is not in the profile payload", m)
		}
	}

	path := testPath(t)
	o := openTest(t, path, Options{})
	var items []NewItem
	for range 6 {
		items = append(items, s.item())
	}
	put(t, o, items...)
	if err := o.Defer(items[0].ID, t0, "503"); err != nil {
		t.Fatal(err)
	}
	for _, it := range items[1:3] {
		if err := o.Ack(it.ID, Receipt{Digest: api.ContentDigest(it.Sealed)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Dead(items[3].ID, "413 too large"); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if found := scanFile(t, path); len(found) != 0 {
		t.Errorf("outbox file contains plaintext markers %q", found)
	}
}

// The scan must be able to see a marker when one is written: here, through
// the one field that is stored in the clear.
func TestFile_ScanFindsClearText(t *testing.T) {
	s := newSealer(t)
	path := testPath(t)
	o := openTest(t, path, Options{})
	it := s.item()
	put(t, o, it)
	if err := o.Defer(it.ID, t0, "bad error message quoting "+markerEmail); err != nil {
		t.Fatal(err)
	}
	o.Close()
	if found := scanFile(t, path); len(found) != 1 || found[0] != markerEmail {
		t.Errorf("scan found %q, want exactly the email planted in LastError", found)
	}
}
