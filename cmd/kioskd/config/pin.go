package config

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// The staff PIN is stored as a salted scrypt hash (RFC 7914) in the PHC
// string style: $scrypt$ln=15,r=8,p=1$<salt>$<hash>, base64 without
// padding. ln=15, r=8, p=1 are the parameters x/crypto/scrypt documents
// for interactive logins: 32 MiB and, measured on the dev machine, ~60 ms
// per check (BENCHMARKS.md); a Raspberry Pi 4 takes a few hundred ms,
// which a person at a keypad does not notice and a guesser does.
const (
	pinLogN    = 15
	pinR       = 8
	pinP       = 1
	pinSaltLen = 16
	pinHashLen = 32

	// What one check may hold in memory: ln=14 to ln=20 at r=8.
	pinMinMemory = 16 << 20
	pinMaxMemory = 1 << 30

	// A PIN is 6 to 12 digits: the keypad has digits only, and six of
	// them with the lockout (staff.free_attempts, staff.lockout) leave a
	// guesser at the kiosk one chance in a million per few dozen tries an
	// hour.
	MinPINDigits = 6
	MaxPINDigits = 12
)

// PINHash is a parsed staff.pin_hash.
type PINHash struct {
	logN, r, p int
	salt, hash []byte
}

// ValidPIN checks that pin is 6 to 12 digits.
func ValidPIN(pin string) error {
	if len(pin) < MinPINDigits || len(pin) > MaxPINDigits {
		return fmt.Errorf("a staff PIN has %d to %d digits, this one %d", MinPINDigits, MaxPINDigits, len(pin))
	}
	if strings.Trim(pin, "0123456789") != "" {
		return errors.New("a staff PIN has digits only: the kiosk's keypad has nothing else")
	}
	return nil
}

// HashPIN makes the staff.pin_hash value for pin, with a fresh salt.
func HashPIN(pin string) (string, error) {
	if err := ValidPIN(pin); err != nil {
		return "", err
	}
	salt := make([]byte, pinSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	h := PINHash{logN: pinLogN, r: pinR, p: pinP, salt: salt}
	key, err := h.derive(pin)
	if err != nil {
		return "", err
	}
	h.hash = key
	return h.String(), nil
}

// ParsePINHash reads a staff.pin_hash value.
func ParsePINHash(s string) (*PINHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 || parts[0] != "" || parts[1] != "scrypt" {
		return nil, errors.New("want $scrypt$ln=15,r=8,p=1$<salt>$<hash>, as kioskctl pin-hash prints it")
	}
	h := &PINHash{}
	for _, kv := range strings.Split(parts[2], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("parameter %q is not a number", kv)
		}
		switch k {
		case "ln":
			h.logN = n
		case "r":
			h.r = n
		case "p":
			h.p = n
		default:
			return nil, fmt.Errorf("unknown parameter %q", k)
		}
	}
	// Cheaper than ln=14 makes guessing from a stolen config cheap; dearer
	// than ln=20 (1 GiB) would exhaust the kiosk's memory.
	if h.logN < 14 || h.logN > 20 || h.r < 1 || h.r > 32 || h.p < 1 || h.p > 16 {
		return nil, fmt.Errorf("parameters ln=%d,r=%d,p=%d: want ln 14-20, r 1-32, p 1-16", h.logN, h.r, h.p)
	}
	// scrypt holds 128·r·2^ln bytes, so r scales the memory as much as ln
	// does: ln=20,r=32 is 4 GiB at the first PIN typed, ln=14,r=1 is 2 MiB
	// for a guesser. The bounds above are meant at r=8: 16 MiB to 1 GiB.
	if mem := int64(128*h.r) << h.logN; mem < pinMinMemory || mem > pinMaxMemory {
		return nil, fmt.Errorf("parameters ln=%d,r=%d need %d MiB: want %d to %d MiB (128·r·2^ln bytes)",
			h.logN, h.r, mem>>20, pinMinMemory>>20, pinMaxMemory>>20)
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[3]); err != nil || len(h.salt) < 16 {
		return nil, errors.New("the salt is not base64 of at least 16 bytes")
	}
	if h.hash, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.hash) < 16 {
		return nil, errors.New("the hash is not base64 of at least 16 bytes")
	}
	return h, nil
}

func (h *PINHash) String() string {
	return fmt.Sprintf("$scrypt$ln=%d,r=%d,p=%d$%s$%s", h.logN, h.r, h.p,
		base64.RawStdEncoding.EncodeToString(h.salt), base64.RawStdEncoding.EncodeToString(h.hash))
}

func (h *PINHash) derive(pin string) ([]byte, error) {
	n := pinHashLen
	if len(h.hash) > 0 {
		n = len(h.hash)
	}
	return scrypt.Key([]byte(pin), h.salt, 1<<h.logN, h.r, h.p, n)
}

// CheckPIN reports whether pin hashes to h, comparing in constant time.
func (h *PINHash) CheckPIN(pin string) bool {
	key, err := h.derive(pin)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(key, h.hash) == 1
}
