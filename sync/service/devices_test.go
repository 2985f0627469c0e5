package service

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDevices(t *testing.T) {
	sum := sha256.Sum256([]byte("t"))
	h := hex.EncodeToString(sum[:])
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{"empty", "", 0, ""},
		{"comments and blanks", "# kiosks\n\nkiosk-1 " + h + "\n  kiosk.2_b  " + h + "  \n", 2, ""},
		{"missing hash", "kiosk-1\n", 0, "line 1"},
		{"short hash", "kiosk-1 abcd\n", 0, "line 1"},
		{"not hex", "kiosk-1 " + strings.Repeat("z", 64) + "\n", 0, "line 1"},
		{"bad id", "# c\nkiosk/1 " + h + "\n", 0, "line 2"},
		{"listed twice", "a " + h + "\na " + h + "\n", 0, "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDevices(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != tt.want {
				t.Fatalf("got %d devices, %v; want %d, nil", len(got), err, tt.want)
			}
		})
	}
}

func TestAddDevice_AuthenticatesWithoutRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devices.txt")
	tok1, err := AddDevice(path, "kiosk-1")
	if err != nil {
		t.Fatal(err)
	}
	devs, err := OpenDeviceFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{devices: devs}
	if !s.deviceOK("kiosk-1", tok1) {
		t.Error("kiosk-1 with its token: refused, want accepted")
	}
	if s.deviceOK("kiosk-1", tok1+"x") {
		t.Error("kiosk-1 with a wrong token: accepted, want refused")
	}

	tok2, err := AddDevice(path, "kiosk-2")
	if err != nil {
		t.Fatal(err)
	}
	if !s.deviceOK("kiosk-2", tok2) {
		t.Error("kiosk-2 enrolled while running: refused, want accepted")
	}
	if tok1 == tok2 || len(tok1) < 40 {
		t.Errorf("tokens %q and %q: want distinct and at least 40 characters", tok1, tok2)
	}
	if _, err := AddDevice(path, "kiosk-1"); err == nil {
		t.Error("enrolling kiosk-1 twice: no error")
	}
	if _, err := AddDevice(path, "../etc"); err == nil {
		t.Error("enrolling a device id with a slash: no error")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), tok1) || strings.Contains(string(b), tok2) {
		t.Error("devices file holds a token in clear")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("devices file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestReadPasswordFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		wantErr       bool
	}{
		{"newline", "s3cret\n", false},
		{"crlf", "s3cret\r\n", false},
		{"no newline", "s3cret", false},
		{"empty", "\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := ReadPasswordFile(path)
			if tt.wantErr {
				if err == nil {
					t.Error("no error, want one")
				}
				return
			}
			if err != nil || got != sha256.Sum256([]byte("s3cret")) {
				t.Errorf("got %x, %v; want the SHA-256 of s3cret", got, err)
			}
		})
	}
}

func TestLoadKeyRing_Empty(t *testing.T) {
	if _, err := LoadKeyRing(t.TempDir()); err == nil || !strings.Contains(err.Error(), "-genkey") {
		t.Errorf("error %v, want one pointing at -genkey", err)
	}
}
