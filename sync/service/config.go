package service

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/idkiosk/idkiosk/sync/envelope"
)

// LoadKeyRing reads every *.key file in dir (written by envelope.WriteKeyPair).
func LoadKeyRing(dir string) (envelope.KeyRing, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.key"))
	if err != nil {
		return nil, fmt.Errorf("key ring: %w", err)
	}
	ring := envelope.KeyRing{}
	for _, p := range paths {
		k, err := envelope.LoadPrivateKey(p)
		if err != nil {
			return nil, err
		}
		ring[k.KeyID] = k
	}
	if len(ring) == 0 {
		return nil, fmt.Errorf("key ring: no *.key files in %s (make one with -genkey)", dir)
	}
	return ring, nil
}

// CurrentKey picks the key kiosks seal to: want when set (it must be in
// ring), else the newest key. Newest is by the time GenerateKey recorded;
// keys from before that was recorded count as oldest, and the key id
// breaks ties so the choice never depends on map order.
func CurrentKey(ring envelope.KeyRing, want string) (string, error) {
	if want != "" {
		if _, ok := ring[want]; !ok {
			return "", fmt.Errorf("current key %s is not in the key ring (have %s)", want, strings.Join(slices.Sorted(maps.Keys(ring)), ", "))
		}
		return want, nil
	}
	var best *envelope.PrivateKey
	for _, k := range ring {
		if best == nil || k.Created.After(best.Created) || (k.Created.Equal(best.Created) && k.KeyID > best.KeyID) {
			best = k
		}
	}
	if best == nil {
		return "", errors.New("key ring is empty")
	}
	return best.KeyID, nil
}

// LoadAccounts reads an accounts file: one email per line; blank lines and
// lines starting with # are ignored.
func LoadAccounts(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("accounts file: %w", err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out, sc.Err()
}

// ReadPasswordFile returns the SHA-256 of the review password in path: the
// first line, without its line ending.
func ReadPasswordFile(path string) ([32]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return [32]byte{}, fmt.Errorf("review password file: %w", err)
	}
	pw, _, _ := bytes.Cut(b, []byte("\n"))
	pw = bytes.TrimSuffix(pw, []byte("\r"))
	if len(pw) == 0 {
		return [32]byte{}, errors.New("review password file: empty password")
	}
	return sha256.Sum256(pw), nil
}
