package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestServiceDown_ProfilesQueuedThenDeliveredOnce: with the service down,
// two learners complete profiles; both are saved and queued, nothing
// readable is on disk; when the service comes back both arrive exactly once.
func TestServiceDown_ProfilesQueuedThenDeliveredOnce(t *testing.T) {
	e := newEnv(t, fastRetries)
	e.startVerifyd()
	e.startKioskd()
	e.stop(e.verifyd)

	learners := []struct{ email, name string }{
		// Arabic with a combining shadda, and Chinese: names in any script.
		{"mariam.haddad@example.org", "مَرْيَم حدّاد"},
		{"wang.xiaoming@example.org", "王小明"},
	}
	var refs []string
	var markers [][]byte
	for i, l := range learners {
		c := e.completeProfile(l.email, l.name, i == 1)
		refs, markers = append(refs, c.Ref), append(markers, c.FaceMarker)
	}

	h := e.health()
	if h.Queue.Queued != 2 || h.Queue.Delivered != 0 {
		t.Fatalf("with the service down: queued %d delivered %d, want 2 and 0", h.Queue.Queued, h.Queue.Delivered)
	}

	// Personal data never on disk in plaintext: the kiosk's whole state
	// directory (queue, keys) and its TMPDIR.
	var needles [][]byte
	for i, l := range learners {
		needles = append(needles, []byte(l.name), []byte(l.email), markers[i])
	}
	if n := scanForPlaintext(t, e.s.Path("kiosk"), needles); n < 2 {
		t.Errorf("scanned %d files in the kiosk's data dir, want at least the queue and the token", n)
	}
	scanForPlaintext(t, e.s.KioskTempDir(), needles)

	e.startVerifyd()
	got := e.arrived(refs...)
	for i, ref := range refs {
		s := got[ref]
		if s.Stores != 1 {
			t.Errorf("profile %s stored %d times, want exactly once", ref, s.Stores)
		}
		p := e.profile(s.ID)
		if p.FullName != learners[i].name || p.Email != learners[i].email {
			t.Errorf("profile %s decrypts to %q <%s>, want %q <%s>", ref, p.FullName, p.Email, learners[i].name, learners[i].email)
		}
	}
	if n := len(e.received()); n != 2 {
		t.Errorf("service holds %d profiles, want 2", n)
	}
	e.eventually("kiosk queue drained", func() bool {
		h := e.health()
		return h.Queue.Queued == 0 && h.Queue.Delivered == 2
	})
	e.stop(e.kioskd)
	e.stop(e.verifyd)
}

// scanForPlaintext fails the test for every file under dir that contains
// a needle, and returns how many files it read.
func scanForPlaintext(t *testing.T, dir string, needles [][]byte) int {
	t.Helper()
	files, hits := plaintextHits(dir, needles)
	for _, h := range hits {
		t.Errorf("personal data in plaintext: %s", h)
	}
	return files
}

func plaintextHits(dir string, needles [][]byte) (files int, hits []string) {
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil // vanished temp files, sockets
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		files++
		for _, n := range needles {
			if bytes.Contains(b, n) {
				hits = append(hits, fmt.Sprintf("%s has %q", path, n[:min(len(n), 16)]))
			}
		}
		return nil
	})
	return files, hits
}

// TestPlaintextHits_FindsNeedle keeps the scan above honest: it must find
// a name written in the clear.
func TestPlaintextHits_FindsNeedle(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("xx 王小明 yy"), 0o600)
	os.WriteFile(filepath.Join(dir, "b"), []byte("nothing"), 0o600)
	files, hits := plaintextHits(dir, [][]byte{[]byte("王小明")})
	if files != 2 || len(hits) != 1 {
		t.Errorf("plaintextHits = %d files, hits %v; want 2 files and 1 hit", files, hits)
	}
}
