package service

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAtRest_NoPlaintext scans every file the service wrote for the name,
// the email and a slice of each photo: envelopes must stay sealed on disk
// and the email index must hold only HMACs.
func TestAtRest_NoPlaintext(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, true)
	markers := map[string][]byte{
		"name":           []byte(testName),
		"email":          []byte(testEmail),
		"email, lowered": []byte(strings.ToLower(testEmail)),
	}
	for _, ph := range p.Photos {
		mid := len(ph.JPEG) / 2
		markers[string(ph.Kind)+" bytes"] = bytes.Clone(ph.JPEG[mid : mid+32])
	}
	f.put(p)
	f.decide(p.ID, Decision{State: "rejected", Reason: "blurred"})
	f.stop() // flush and close everything the service holds open

	files := 0
	err := filepath.WalkDir(f.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for what, m := range markers {
			if bytes.Contains(b, m) {
				t.Errorf("%s: holds the %s in clear", filepath.Base(path), what)
			}
		}
		if fi, _ := d.Info(); fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v, want no group or other access", filepath.Base(path), fi.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 2 {
		t.Errorf("scanned %d files, want at least the store and the secret", files)
	}
}
