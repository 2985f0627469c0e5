package service

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/durable"
)

// Buckets. Envelopes live apart from the records so that listing profiles
// never pages megabytes of ciphertext through memory.
var (
	bucketProfiles  = []byte("profiles")  // id -> record JSON
	bucketEnvelopes = []byte("envelopes") // id -> sealed envelope, as received
	bucketEmails    = []byte("emails")    // emailKey || id -> empty
	bucketDevices   = []byte("devices")   // device id -> deviceRecord JSON
)

var (
	errNotFound  = errors.New("not found")
	errKeyReused = errors.New("idempotency key reused with a different body")
)

// record is what the service knows about a profile without decrypting it.
// It holds no personal data: the ID type and sidedness say nothing about who
// the learner is, and they let the review list render without opening every
// envelope.
type record struct {
	ID       string    `json:"id"`
	Digest   string    `json:"digest"` // canonical Content-Digest of the envelope
	Received time.Time `json:"received"`
	DeviceID string    `json:"device_id"`
	KeyID    string    `json:"key_id"`
	// Version and Signer record the chain of custody: envelope format,
	// and the device key (envelope.SignerID) whose signature was checked
	// before storing; empty for an unsigned v1 envelope.
	Version  int             `json:"envelope_version,omitempty"`
	Signer   string          `json:"signer,omitempty"`
	IDType   api.IDType      `json:"id_type"`
	TwoSided bool            `json:"two_sided"`
	State    api.ReviewState `json:"state"`
	Reason   string          `json:"reason,omitempty"`
	Updated  time.Time       `json:"updated"`
	Stores   int             `json:"stores"`  // always 1: proof of exactly-once in tests
	Replays  int             `json:"replays"` // PUTs answered from the stored result
}

func (r *record) result() api.StoreResult {
	return api.StoreResult{ID: r.ID, Received: r.Received, Digest: r.Digest}
}

func (r *record) status() api.ProfileStatus {
	return api.ProfileStatus{ID: r.ID, State: r.State, Reason: r.Reason, Updated: r.Updated}
}

// deviceRecord is the last heartbeat of a kiosk.
type deviceRecord struct {
	ID        string        `json:"id"`
	LastSeen  time.Time     `json:"last_seen"`
	Heartbeat api.Heartbeat `json:"heartbeat"`
}

type store struct {
	db       *bolt.DB
	emailMAC []byte
}

// openStore opens verifyd.db in dir. bbolt fsyncs every commit by default
// (NoSync false), which is what lets a 201 mean "on disk".
func openStore(dir string, secret []byte) (*store, error) {
	db, err := bolt.Open(filepath.Join(dir, "verifyd.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketProfiles, bucketEnvelopes, bucketEmails, bucketDevices} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("create buckets: %w", err)
	}
	return &store{db: db, emailMAC: derive(secret, "email index")}, nil
}

func (s *store) close() error { return s.db.Close() }

func (s *store) ping() error {
	return s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketProfiles) == nil {
			return errors.New("profiles bucket missing")
		}
		return nil
	})
}

// emailKey is the index key of an email: an HMAC under the installation
// secret, so the store never holds an email, not even as a plain hash that a
// list of candidate addresses could reverse.
func (s *store) emailKey(email string) [32]byte {
	m := hmac.New(sha256.New, s.emailMAC)
	m.Write([]byte(normalEmail(email)))
	return [32]byte(m.Sum(nil))
}

func normalEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

func getRecord(tx *bolt.Tx, id string) (*record, error) {
	v := tx.Bucket(bucketProfiles).Get([]byte(id))
	if v == nil {
		return nil, errNotFound
	}
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode record %s: %w", id, err)
	}
	return &r, nil
}

func putRecord(tx *bolt.Tx, r *record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketProfiles).Put([]byte(r.ID), v)
}

// replay answers a PUT of an id that is already stored: the stored record
// when digest matches (counting the replay), errKeyReused when it does not,
// errNotFound when the id is new.
func (s *store) replay(id, digest string) (*record, error) {
	var out *record
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		out = r
		return countReplay(tx, r, digest)
	})
	return out, err
}

func countReplay(tx *bolt.Tx, r *record, digest string) error {
	if r.Digest != digest {
		return errKeyReused
	}
	r.Replays++
	return putRecord(tx, r)
}

// put stores a new profile, its envelope and its email index entry in one
// transaction. If the id got stored meanwhile (another process on the same
// file cannot, bbolt locks it, but be exact anyway) it behaves like replay.
func (s *store) put(r *record, env []byte, email [32]byte) (stored *record, replayed bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		old, err := getRecord(tx, r.ID)
		if err == nil {
			stored, replayed = old, true
			return countReplay(tx, old, r.Digest)
		}
		if !errors.Is(err, errNotFound) {
			return err
		}
		if err := putRecord(tx, r); err != nil {
			return err
		}
		if err := tx.Bucket(bucketEnvelopes).Put([]byte(r.ID), env); err != nil {
			return err
		}
		stored = r
		return tx.Bucket(bucketEmails).Put(append(email[:], r.ID...), []byte{})
	})
	return stored, replayed, err
}

func (s *store) get(id string) (*record, error) {
	var out *record
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		out = r
		return err
	})
	return out, err
}

// envelope returns a copy of the sealed envelope of id and its record.
func (s *store) envelope(id string) ([]byte, *record, error) {
	var env []byte
	var rec *record
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		rec = r
		// bbolt values die with the transaction: copy.
		env = bytes.Clone(tx.Bucket(bucketEnvelopes).Get([]byte(id)))
		if env == nil {
			return fmt.Errorf("profile %s: envelope missing", id)
		}
		return nil
	})
	return env, rec, err
}

// list returns every record, newest first.
func (s *store) list() ([]record, error) {
	var out []record
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketProfiles).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode record %s: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	sortNewest(out)
	return out, err
}

func sortNewest(rs []record) {
	slices.SortStableFunc(rs, func(a, b record) int {
		if c := b.Received.Compare(a.Received); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// byEmail returns the records whose email has the given index key, newest first.
func (s *store) byEmail(key [32]byte) ([]record, error) {
	var out []record
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEmails).Cursor()
		for k, _ := c.Seek(key[:]); k != nil && bytes.HasPrefix(k, key[:]); k, _ = c.Next() {
			r, err := getRecord(tx, string(k[len(key):]))
			if err != nil {
				return err
			}
			out = append(out, *r)
		}
		return nil
	})
	sortNewest(out)
	return out, err
}

// decide records a reviewer's decision.
func (s *store) decide(id string, state api.ReviewState, reason string, now time.Time) (*record, error) {
	var out *record
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := getRecord(tx, id)
		if err != nil {
			return err
		}
		r.State, r.Reason, r.Updated = state, reason, now
		out = r
		return putRecord(tx, r)
	})
	return out, err
}

func (s *store) heartbeat(d deviceRecord) error {
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDevices).Put([]byte(d.ID), v)
	})
}

func (s *store) devices() ([]deviceRecord, error) {
	var out []deviceRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDevices).ForEach(func(k, v []byte) error {
			var d deviceRecord
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("decode device %s: %w", k, err)
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// loadSecret reads the installation secret from dir, creating it on first
// start. Losing it orphans the email index (lookups stop finding profiles)
// but no envelope: those need only the private keys.
func loadSecret(dir string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, "service.secret")
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != 32 {
			return nil, fmt.Errorf("service secret %s: %d bytes, want 32", path, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read service secret: %w", err)
	}
	b = make([]byte, 32)
	rand.Read(b)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create service secret: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("write service secret: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("sync service secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("close service secret: %w", err)
	}
	return b, durable.SyncDir(dir)
}

// derive makes a purpose-bound key from the installation secret.
func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}
