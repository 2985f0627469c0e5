package service

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/idkiosk/idkiosk/sync/durable"
)

// The device registry is devices.json in the data directory: enrolled
// kiosks, their certificate and signing keys, and outstanding enrollment
// codes. It is a file rather than a bbolt bucket because the operator's
// commands (verifyd -add-device, -revoke-device) change it while the
// service runs, and bbolt lets only one process open its file. Writers take
// an flock on devices.lock and replace the file atomically; the service
// re-reads it when it changes, so a revocation applies to the next request.

const (
	registryFile = "devices.json"
	registryLock = "devices.lock"
	// DefaultCodeTTL is how long an enrollment code works: long enough to
	// drive to a test centre, short enough that a code in a lost email or
	// a photo of a screen soon stops mattering.
	DefaultCodeTTL = 72 * time.Hour
)

var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidDeviceID reports whether id can name a kiosk: 1-64 characters from
// letters, digits, '.', '_' and '-', so it is safe in a path and a log line.
func ValidDeviceID(id string) bool { return deviceIDPattern.MatchString(id) }

type registryData struct {
	Codes   []enrollCode            `json:"codes"`
	Devices map[string]*deviceEntry `json:"devices"`
}

// enrollCode is an enrollment code, stored as its SHA-256 only: the code
// has 128 random bits, so a plain hash cannot be reversed and anyone who
// reads this file still cannot enroll.
type enrollCode struct {
	DeviceID string    `json:"device_id"`
	SHA256   string    `json:"sha256"`
	Expires  time.Time `json:"expires"`
	// UsedBy is set once the code is redeemed: the SHA-256 of the TLS
	// public key and the signing key it was redeemed with. The same
	// request repeated (its answer was lost) gets Certificate again; any
	// other request with this code is refused.
	UsedBy      string `json:"used_by,omitempty"`
	Certificate []byte `json:"certificate,omitempty"`
}

// deviceEntry is one enrolled kiosk.
type deviceEntry struct {
	ID string `json:"id"`
	// FirstEnrolled bounds the unsigned (v1) envelopes the device may
	// deliver: only a backlog sealed before it enrolled.
	FirstEnrolled time.Time `json:"first_enrolled"`
	Enrolled      time.Time `json:"enrolled"`
	// CertSerial is the serial (hex) of the one client certificate
	// accepted for the device: enrolling again supersedes the old one.
	CertSerial string `json:"cert_serial,omitempty"`
	// SigningKeys are every Ed25519 key the device enrolled with. A key
	// stays valid across re-enrollment (the kiosk's queue is signed with
	// it) until the device is revoked.
	SigningKeys []signingKey `json:"signing_keys"`
	Revoked     time.Time    `json:"revoked,omitzero"`
}

type signingKey struct {
	ID      string    `json:"id"` // envelope.SignerID
	Public  []byte    `json:"public"`
	Added   time.Time `json:"added"`
	Revoked bool      `json:"revoked,omitempty"`
}

// signingKey returns the device's unrevoked key with the given signer id.
func (d *deviceEntry) signingKey(id string) ([]byte, bool) {
	for _, k := range d.SigningKeys {
		if k.ID == id && !k.Revoked {
			return k.Public, true
		}
	}
	return nil, false
}

type registry struct {
	path, lock string

	mu    sync.Mutex
	data  *registryData
	stamp os.FileInfo
}

func openRegistry(dir string) *registry {
	return &registry{path: filepath.Join(dir, registryFile), lock: filepath.Join(dir, registryLock)}
}

// read returns the registry as on disk, re-reading it only when the file
// was replaced. The answer is shared: callers must not change it.
func (r *registry) read() (*registryData, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fi, err := os.Stat(r.path)
	if errors.Is(err, os.ErrNotExist) {
		return &registryData{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("device registry: %w", err)
	}
	// Every write is a rename, so a new inode means a new version.
	if r.data != nil && os.SameFile(fi, r.stamp) && fi.ModTime().Equal(r.stamp.ModTime()) && fi.Size() == r.stamp.Size() {
		return r.data, nil
	}
	d, err := loadRegistry(r.path)
	if err != nil {
		return nil, err
	}
	r.data, r.stamp = d, fi
	return d, nil
}

func loadRegistry(path string) (*registryData, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &registryData{Devices: map[string]*deviceEntry{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("device registry: %w", err)
	}
	var d registryData
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("device registry %s: %w", path, err)
	}
	if d.Devices == nil {
		d.Devices = map[string]*deviceEntry{}
	}
	return &d, nil
}

// device returns a copy of the entry for id.
func (r *registry) device(id string) (deviceEntry, bool, error) {
	d, err := r.read()
	if err != nil {
		return deviceEntry{}, false, err
	}
	e, ok := d.Devices[id]
	if !ok {
		return deviceEntry{}, false, nil
	}
	return *e, true, nil
}

// update runs f on a fresh copy of the registry under the file lock and
// writes the result if f succeeds. Expired codes are dropped on the way.
func (r *registry) update(now time.Time, f func(*registryData) error) error {
	if err := os.MkdirAll(filepath.Dir(r.path), 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	lf, err := os.OpenFile(r.lock, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("device registry lock: %w", err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("device registry lock: %w", err)
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)

	d, err := loadRegistry(r.path)
	if err != nil {
		return err
	}
	kept := d.Codes[:0]
	for _, c := range d.Codes {
		if now.Before(c.Expires) {
			kept = append(kept, c)
		}
	}
	d.Codes = kept
	if err := f(d); err != nil {
		return err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return durable.WriteFile(r.path, append(b, '\n'), 0o600)
}

// codeEncoding spells codes in upper-case letters and 2-7: nothing a person
// confuses when reading it aloud or typing it on a kiosk.
var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NormalizeCode removes what a person may add to a code (dashes, spaces,
// lower case), so "abcd-efgh" and "ABCDEFGH" are the same code.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

func codeHash(code string) string {
	sum := sha256.Sum256([]byte(NormalizeCode(code)))
	return hex.EncodeToString(sum[:])
}

// AddDevice issues a one-time enrollment code for device id in the service's
// data directory and returns it; only its hash is stored. A newer code for
// the same device replaces any unused older one. The device may already be
// enrolled or revoked: enrolling again issues a new certificate.
func AddDevice(dataDir, id string, ttl time.Duration, now time.Time) (code string, expires time.Time, err error) {
	if !ValidDeviceID(id) {
		return "", time.Time{}, fmt.Errorf("device id %q: use 1-64 letters, digits, '.', '_' or '-'", logSafe(id))
	}
	if ttl <= 0 {
		ttl = DefaultCodeTTL
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", time.Time{}, fmt.Errorf("data directory: %w", err)
	}
	raw := make([]byte, 16)
	rand.Read(raw)
	plain := codeEncoding.EncodeToString(raw)
	var groups []string
	for len(plain) > 4 {
		groups, plain = append(groups, plain[:4]), plain[4:]
	}
	code = strings.Join(append(groups, plain), "-")
	expires = now.Add(ttl).UTC()
	err = openRegistry(dataDir).update(now, func(d *registryData) error {
		kept := d.Codes[:0]
		for _, c := range d.Codes {
			if c.DeviceID != id || c.UsedBy != "" {
				kept = append(kept, c)
			}
		}
		d.Codes = append(kept, enrollCode{DeviceID: id, SHA256: codeHash(code), Expires: expires})
		return nil
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}

// RevokeDevice revokes device id: its certificate stops working at its next
// request (403), and unused codes for it are dropped. The kiosk keeps its
// queue; enrolling it again with a new code lets it deliver that queue.
//
// compromised says the kiosk's keys may have been copied (it was stolen,
// say): then its signing keys are revoked for good as well. Envelopes
// signed with them are refused from then on (422: the kiosk dead-letters
// them, for a person to look at), and the kiosk can enroll again only with
// a new signing key, that is from a wiped identity directory. Without it, a
// thief with a copy of the key could sign envelopes with any date.
func RevokeDevice(dataDir string, id string, compromised bool, now time.Time) error {
	return openRegistry(dataDir).update(now, func(d *registryData) error {
		kept := d.Codes[:0]
		dropped := 0
		for _, c := range d.Codes {
			if c.DeviceID == id {
				dropped++
				continue
			}
			kept = append(kept, c)
		}
		d.Codes = kept
		e, ok := d.Devices[id]
		if !ok {
			if dropped > 0 {
				return nil // never enrolled: dropping its code is the revocation
			}
			return fmt.Errorf("device %s is not enrolled", logSafe(id))
		}
		e.Revoked = now.UTC()
		e.CertSerial = ""
		if compromised {
			for i := range e.SigningKeys {
				e.SigningKeys[i].Revoked = true
			}
		}
		return nil
	})
}

// findCode returns the index of the unexpired code with the given hash.
// The comparison is constant-time, though with 128-bit codes a timing
// difference would tell an attacker nothing useful.
func (d *registryData) findCode(hash string, now time.Time) int {
	found := -1
	for i, c := range d.Codes {
		if subtle.ConstantTimeCompare([]byte(c.SHA256), []byte(hash)) == 1 && now.Before(c.Expires) {
			found = i
		}
	}
	return found
}

// requestID identifies an enrollment request by its keys, for UsedBy.
func requestID(tlsPublicDER, signing []byte) string {
	h := sha256.New()
	h.Write(tlsPublicDER)
	h.Write([]byte{0})
	h.Write(signing)
	return hex.EncodeToString(h.Sum(nil))
}
