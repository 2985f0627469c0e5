package outbox

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// smallDisk mounts a tmpfs of size bytes for the test, or skips when the
// test cannot mount (not root), unless IDKIOSK_E2E=require (CI runs as
// root, and there the test must run).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		if os.Getenv("IDKIOSK_E2E") == "require" {
			t.Fatalf("mount a %s tmpfs for the full-disk test: %v (run as root)", size, err)
		}
		t.Skipf("full-disk test needs a tmpfs mount (root): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// TestPut_DiskFull fills a small disk: the Put that does not fit fails
// with ErrNoSpace and changes nothing, what was stored before reads back
// byte for byte and passes bbolt's consistency check, and Puts work again
// once space is freed.
func TestPut_DiskFull(t *testing.T) {
	dir := smallDisk(t, "6m")
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "q", "outbox.db")
	o := openTest(t, path, Options{})

	var stored []NewItem
	var full error
	for range 40 {
		it := bigItem(t, 300<<10)
		before := mustStats(t, o)
		err := o.Put(t.Context(), it)
		if err != nil {
			full = err
			if after := mustStats(t, o); after != before {
				t.Errorf("Stats after the failed Put = %+v, want unchanged %+v", after, before)
			}
			break
		}
		stored = append(stored, it)
	}
	if !errors.Is(full, ErrNoSpace) {
		t.Fatalf("filling the disk ended with %v after %d profiles, want ErrNoSpace", full, len(stored))
	}
	if len(stored) == 0 {
		t.Fatal("not even one profile fitted; the test proves nothing")
	}
	t.Logf("%d profiles stored, then: %v", len(stored), full)

	check := func(o *Outbox, when string) {
		t.Helper()
		got := mustDue(t, o, t0, 0)
		if len(got) != len(stored) {
			t.Fatalf("%s: %d profiles queued, want the %d stored", when, len(got), len(stored))
		}
		for i, it := range got {
			if it.ID != stored[i].ID || !bytes.Equal(it.Sealed, stored[i].Sealed) {
				t.Errorf("%s: profile %d differs from what was stored", when, i)
			}
		}
		err := o.view(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				return err
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: bbolt consistency check: %v", when, err)
		}
	}
	check(o, "disk full")
	o.Close()
	o = openTest(t, path, Options{})
	check(o, "disk full, reopened")

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	it := bigItem(t, 300<<10)
	if err := o.Put(t.Context(), it); err != nil {
		t.Fatalf("Put after space returned: %v", err)
	}
	stored = append(stored, it)
	check(o, "space returned")
}
