package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// dirNames lists dir's entries, to catch a temporary file left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestLockoutFile_RoundTrip: what is saved loads back the same, the file
// is 0600 and alone in its directory (the temporary file was renamed), and
// it holds nothing but the count and the times.
func TestLockoutFile_RoundTrip(t *testing.T) {
	paris := time.FixedZone("CEST", 2*60*60)
	tests := []struct {
		name string
		st   session.StaffLockout
	}{
		{name: "reset", st: session.StaffLockout{}},
		{name: "two wrong", st: session.StaffLockout{Failures: 2}},
		{name: "locked", st: session.StaffLockout{Failures: 4, LockedUntil: time.Date(2026, 3, 14, 9, 31, 30, 123456789, paris), Lockout: time.Minute}},
		{name: "locked, with a monotonic reading", st: session.StaffLockout{Failures: 9, LockedUntil: time.Now().Add(15 * time.Minute), Lockout: 15 * time.Minute}},
	}
	dir := t.TempDir()
	f := newLockoutFile(dir)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.Save(tt.st); err != nil {
				t.Fatalf("Save: %v", err)
			}
			got, err := f.Load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.Failures != tt.st.Failures || !got.LockedUntil.Equal(tt.st.LockedUntil) || got.Lockout != tt.st.Lockout {
				t.Errorf("Load after Save = %+v, want %+v", got, tt.st)
			}
			fi, err := os.Stat(filepath.Join(dir, lockoutFileName))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("mode %04o, want 0600", got)
			}
			if got, want := dirNames(t, dir), []string{lockoutFileName}; !slices.Equal(got, want) {
				t.Errorf("data dir holds %v, want only %v", got, want)
			}
			b, err := os.ReadFile(filepath.Join(dir, lockoutFileName))
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]any
			if err := json.Unmarshal(b, &fields); err != nil {
				t.Fatalf("the file is not JSON: %v\n%s", err, b)
			}
			for k := range fields {
				if !slices.Contains([]string{"version", "failures", "locked_until", "lockout"}, k) {
					t.Errorf("the file has a field %q: %s", k, b)
				}
			}
		})
	}
}

func TestLockoutFile_MissingIsClean(t *testing.T) {
	got, err := newLockoutFile(t.TempDir()).Load()
	if err != nil || got != (session.StaffLockout{}) {
		t.Errorf("Load without a file = %+v, %v; want the zero state and no error", got, err)
	}
}

// TestLockoutFile_Unreadable: anything but a well-formed version 1 file is
// an error, never a clean state (the session locks the keypad on it).
func TestLockoutFile_Unreadable(t *testing.T) {
	tests := []struct {
		name     string
		contents string
	}{
		{name: "empty", contents: ""},
		{name: "cut short", contents: `{"version":1,"failures":`},
		{name: "not JSON", contents: "\x00\x00\x00\x00"},
		{name: "trailing garbage", contents: `{"version":1,"failures":2} {}`},
		{name: "no version", contents: `{"failures":2}`},
		{name: "another version", contents: `{"version":2,"failures":2}`},
		{name: "negative failures", contents: `{"version":1,"failures":-1}`},
		{name: "failures not a number", contents: `{"version":1,"failures":"many"}`},
		{name: "bad time", contents: `{"version":1,"failures":3,"locked_until":"tomorrow"}`},
		{name: "bad lockout", contents: `{"version":1,"failures":3,"lockout":"soon"}`},
		{name: "negative lockout", contents: `{"version":1,"failures":3,"lockout":"-30s"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, lockoutFileName), []byte(tt.contents), 0o600); err != nil {
				t.Fatal(err)
			}
			if got, err := newLockoutFile(dir).Load(); err == nil {
				t.Errorf("Load of %q = %+v, nil; want an error", tt.contents, got)
			}
		})
	}

	t.Run("a directory in its place", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, lockoutFileName), 0o700); err != nil {
			t.Fatal(err)
		}
		if got, err := newLockoutFile(dir).Load(); err == nil {
			t.Errorf("Load = %+v, nil; want an error", got)
		}
	})
}

// TestLockoutFile_SaveFails: a save that cannot be made says so and
// leaves the old file as it was.
func TestLockoutFile_SaveFails(t *testing.T) {
	if err := newLockoutFile(filepath.Join(t.TempDir(), "gone")).Save(session.StaffLockout{Failures: 1}); err == nil {
		t.Error("Save into a missing directory: nil, want an error")
	}

	dir := t.TempDir()
	f := newLockoutFile(dir)
	old := session.StaffLockout{Failures: 3, LockedUntil: time.Date(2026, 3, 14, 9, 30, 30, 0, time.UTC), Lockout: 30 * time.Second}
	if err := f.Save(old); err != nil {
		t.Fatal(err)
	}
	// A directory where the file was makes the rename fail.
	path := filepath.Join(dir, lockoutFileName)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "keep"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(session.StaffLockout{}); err == nil {
		t.Error("Save over a directory: nil, want an error")
	}
	if got, want := dirNames(t, dir), []string{lockoutFileName}; !slices.Equal(got, want) {
		t.Errorf("after the failed save the data dir holds %v, want %v (no temporary file)", got, want)
	}
}

// TestWireStaff_LockoutInDataDir: with a PIN, the session's lockout is kept
// in the data directory.
func TestWireStaff_LockoutInDataDir(t *testing.T) {
	hash, err := config.HashPIN("246810")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Device.DataDir = t.TempDir()
	cfg.Staff.PINHash = hash
	var deps session.Deps
	audit, _, err := wireStaff(&cfg, &deps, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer audit.f.Close()
	want := lockoutFile{path: filepath.Join(cfg.Device.DataDir, "staff-lockout.json")}
	if got, ok := deps.StaffLockout.(lockoutFile); !ok || got != want {
		t.Errorf("Deps.StaffLockout = %#v, want %#v", deps.StaffLockout, want)
	}
}
