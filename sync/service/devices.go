package service

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
)

// A devices file has one kiosk per line: `device-id token-sha256-hex`.
// Blank lines and lines starting with # are ignored.

var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidDeviceID reports whether id can name a kiosk: 1-64 characters from
// letters, digits, '.', '_' and '-', so it is safe in a path and a log line.
func ValidDeviceID(id string) bool { return deviceIDPattern.MatchString(id) }

// ParseDevices reads a devices file.
func ParseDevices(r io.Reader) (DeviceMap, error) {
	m := DeviceMap{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want `device-id token-sha256-hex`", n)
		}
		if !ValidDeviceID(f[0]) {
			return nil, fmt.Errorf("line %d: device id %q: use 1-64 letters, digits, '.', '_' or '-'", n, logSafe(f[0]))
		}
		sum, err := hex.DecodeString(f[1])
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("line %d: token hash is not 64 hex digits", n)
		}
		if _, dup := m[f[0]]; dup {
			return nil, fmt.Errorf("line %d: device %s listed twice", n, f[0])
		}
		m[f[0]] = [32]byte(sum)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// DeviceFile is a devices file that is read again when it changes, so a
// kiosk enrolled with AddDevice can connect without a service restart.
type DeviceFile struct {
	path string

	mu   sync.Mutex
	mod  time.Time
	size int64
	devs DeviceMap
}

var _ Devices = (*DeviceFile)(nil)

// OpenDeviceFile reads the devices file at path.
func OpenDeviceFile(path string) (*DeviceFile, error) {
	f := &DeviceFile{path: path}
	if err := f.reload(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *DeviceFile) reload() error {
	fi, err := os.Stat(f.path)
	if err != nil {
		return fmt.Errorf("devices file: %w", err)
	}
	if fi.ModTime().Equal(f.mod) && fi.Size() == f.size && f.devs != nil {
		return nil
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("devices file: %w", err)
	}
	m, err := ParseDevices(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("devices file %s: %w", f.path, err)
	}
	f.mod, f.size, f.devs = fi.ModTime(), fi.Size(), m
	return nil
}

// TokenSHA256 implements Devices. If the file changed and no longer parses
// (say, half-edited), the last good version keeps answering.
func (f *DeviceFile) TokenSHA256(id string) ([32]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = f.reload()
	return f.devs.TokenSHA256(id)
}

// AddDevice enrolls a kiosk: it makes a random token, appends the token's
// SHA-256 to the devices file at path (creating it 0600) and returns the
// token, which exists nowhere else afterwards.
func AddDevice(path, id string) (token string, err error) {
	if !ValidDeviceID(id) {
		return "", fmt.Errorf("device id %q: use 1-64 letters, digits, '.', '_' or '-'", logSafe(id))
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read devices file: %w", err)
	}
	devs, err := ParseDevices(bytes.NewReader(old))
	if err != nil {
		return "", fmt.Errorf("devices file %s: %w", path, err)
	}
	if _, dup := devs[id]; dup {
		return "", fmt.Errorf("device %s is already enrolled", id)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	token = base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(token))
	line := id + " " + hex.EncodeToString(sum[:]) + "\n"
	if len(old) > 0 && old[len(old)-1] != '\n' {
		line = "\n" + line
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("open devices file: %w", err)
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return "", fmt.Errorf("write devices file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("sync devices file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close devices file: %w", err)
	}
	return token, nil
}
