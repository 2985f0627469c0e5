package config

import (
	"errors"
	"strings"
	"testing"
)

func TestPIN_HashAndCheck(t *testing.T) {
	h, err := HashPIN("2468101")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$scrypt$ln=15,r=8,p=1$") || strings.Contains(h, "2468101") {
		t.Errorf("HashPIN = %q, want a $scrypt$ln=15,r=8,p=1$ string without the PIN", h)
	}
	again, _ := HashPIN("2468101")
	if again == h {
		t.Error("two hashes of one PIN are equal: the salt is not random")
	}
	p, err := ParsePINHash(h)
	if err != nil {
		t.Fatalf("ParsePINHash(HashPIN) = %v", err)
	}
	if p.String() != h {
		t.Errorf("round trip: %q, want %q", p.String(), h)
	}
	for pin, want := range map[string]bool{"2468101": true, "2468100": false, "246810": false, "24681011": false, "": false} {
		if got := p.CheckPIN(pin); got != want {
			t.Errorf("CheckPIN(%q) = %v, want %v", pin, got, want)
		}
	}
}

func TestPIN_Valid(t *testing.T) {
	tests := []struct {
		pin string
		ok  bool
	}{
		{"123456", true}, {"123456789012", true},
		{"12345", false}, {"1234567890123", false}, {"12345a", false}, {"123 456", false}, {"", false},
	}
	for _, tt := range tests {
		if err := ValidPIN(tt.pin); (err == nil) != tt.ok {
			t.Errorf("ValidPIN(%q) = %v, want ok %v", tt.pin, err, tt.ok)
		}
		if _, err := HashPIN(tt.pin); (err == nil) != tt.ok {
			t.Errorf("HashPIN(%q) = %v, want ok %v", tt.pin, err, tt.ok)
		}
	}
}

func TestPIN_ParseRefuses(t *testing.T) {
	const salt, hash = "c2FsdHNhbHRzYWx0c2FsdA", "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	for name, s := range map[string]string{
		"plain PIN":       "123456",
		"sha256":          "8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92",
		"other algorithm": "$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + hash,
		"too cheap":       "$scrypt$ln=10,r=8,p=1$" + salt + "$" + hash,
		"too dear":        "$scrypt$ln=24,r=8,p=1$" + salt + "$" + hash,
		// r scales the memory like ln: 4 GiB, and 2 MiB.
		"too dear by r":    "$scrypt$ln=20,r=32,p=1$" + salt + "$" + hash,
		"too cheap by r":   "$scrypt$ln=14,r=1,p=1$" + salt + "$" + hash,
		"unknown param":    "$scrypt$ln=15,r=8,p=1,x=2$" + salt + "$" + hash,
		"short salt":       "$scrypt$ln=15,r=8,p=1$c2FsdA$" + hash,
		"hash not base64":  "$scrypt$ln=15,r=8,p=1$" + salt + "$!!!",
		"missing the hash": "$scrypt$ln=15,r=8,p=1$" + salt,
	} {
		if _, err := ParsePINHash(s); err == nil {
			t.Errorf("%s: ParsePINHash(%q) = nil error, want a refusal", name, s)
		}
	}
	// The bounds themselves: 16 MiB and 1 GiB.
	for _, params := range []string{"ln=14,r=8,p=1", "ln=20,r=8,p=1", "ln=17,r=1,p=2"} {
		if _, err := ParsePINHash("$scrypt$" + params + "$" + salt + "$" + hash); err != nil {
			t.Errorf("ParsePINHash with %s: %v, want accepted", params, err)
		}
	}
}

func TestStaff_Problems(t *testing.T) {
	_, valid := fixture(t)
	cfg, err := Parse("kioskd.toml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Staff; s.PINHash != "" || s.FreeAttempts != 3 || s.Lockout.Seconds() != 30 || s.IdleTimeout.Minutes() != 2 {
		t.Errorf("defaults %+v, want no PIN, 3 free attempts, 30s lockout, 2m idle", s)
	}
	tests := []struct {
		name, extra, key, msg string
	}{
		{"PIN in the clear", "pin_hash = \"123456\"\n", "staff.pin_hash", "kioskctl pin-hash"},
		{"no lockout", "lockout = \"0s\"\n", "staff.lockout", "want 1s to 1h"},
		{"cap below the first lock", "lockout = \"1m\"\nmax_lockout = \"30s\"\n", "staff.max_lockout", "want staff.lockout"},
		{"no free attempt", "free_attempts = 0\n", "staff.free_attempts", "want 1 to 10"},
		{"idle too short", "idle_timeout = \"5s\"\n", "staff.idle_timeout", "want 15s to 1h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("kioskd.toml", []byte(valid+"\n[staff]\n"+tt.extra))
			var ps *Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Parse error = %v, want problems", err)
			}
			for _, p := range ps.List {
				if p.Key == tt.key && strings.Contains(p.Msg, tt.msg) && p.Line > 0 {
					if strings.Contains(p.Msg, "123456") {
						t.Errorf("the problem echoes the secret: %s", p.Msg)
					}
					return
				}
			}
			t.Errorf("no problem for %s containing %q with its line; got:\n%v", tt.key, tt.msg, err)
		})
	}
	h, _ := HashPIN("135790")
	if _, err := Parse("kioskd.toml", []byte(valid+"\n[staff]\npin_hash = \""+h+"\"\n")); err != nil {
		t.Errorf("a hash from HashPIN: %v", err)
	}
}

// BenchmarkCheckPIN is one staff PIN check at the stored cost (scrypt
// ln=15, r=8, p=1): what a person at the keypad waits for, and what each
// guess costs someone holding a copy of the config.
func BenchmarkCheckPIN(b *testing.B) {
	h, err := HashPIN("246810")
	if err != nil {
		b.Fatal(err)
	}
	p, _ := ParsePINHash(h)
	for b.Loop() {
		p.CheckPIN("135790")
	}
}
