package outbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Defaults for a zero Options.
const (
	// DefaultMaxItems holds a few weeks of a busy test centre being offline.
	DefaultMaxItems = 5000
	// DefaultMaxBytes: a sealed profile is ~0.3-1 MB, and the outbox must
	// leave room on a small SD card for logs and an update image.
	DefaultMaxBytes = 2 << 30
	// DefaultLockTimeout is how long Open waits for another process to let
	// go of the file before giving up with ErrLocked.
	DefaultLockTimeout = time.Second
)

// Options tune an Outbox. The zero value is usable.
type Options struct {
	// MaxItems and MaxBytes bound what the outbox holds: queued and
	// dead-lettered profiles both count, since both keep their sealed
	// bytes on disk. Zero means the default.
	MaxItems int
	MaxBytes int64
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// LockTimeout bounds the wait for the file lock; zero means the default.
	LockTimeout time.Duration
}

// Errors callers act on.
var (
	// ErrFull: the profile was not saved because the outbox is at its limit.
	ErrFull = errors.New("outbox full")
	// ErrDuplicate: an item with this id is queued, dead or delivered.
	ErrDuplicate = errors.New("profile id already in the outbox")
	// ErrNotFound: no queued item has this id.
	ErrNotFound = errors.New("no such queued profile")
	// ErrNotSealed: the bytes are not an envelope for the item's id.
	ErrNotSealed = errors.New("outbox stores only sealed envelopes")
	// ErrLocked: another process holds the outbox file.
	ErrLocked = errors.New("outbox file is locked by another process")
	// ErrClosed: the Outbox was closed.
	ErrClosed = errors.New("outbox closed")
)

var (
	bucketMeta     = []byte("meta")
	bucketQueue    = []byte("queue")
	bucketDead     = []byte("dead")
	bucketBlobs    = []byte("blobs")
	bucketIDs      = []byte("ids")
	bucketReceipts = []byte("receipts")
	keyVersion     = []byte("version")
	keyCounters    = []byte("counters")
)

const formatVersion = 1

// Outbox is the durable queue of sealed profiles. Its methods are safe for
// concurrent use.
type Outbox struct {
	db       *bolt.DB
	maxItems int
	maxBytes int64
	now      func() time.Time
	wake     chan struct{}
}

// Open opens or creates the outbox file at path. The directory is created
// with mode 0700 if missing, and must not be open to group or others: the
// data is sealed, but who submitted when is still nobody else's business.
func Open(path string, opts Options) (*Outbox, error) {
	if opts.MaxItems < 0 || opts.MaxBytes < 0 {
		return nil, fmt.Errorf("open outbox: negative limit (items %d, bytes %d)", opts.MaxItems, opts.MaxBytes)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("open outbox: directory %s has mode %04o, want 0700 (give the outbox its own directory)", dir, perm)
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)

	timeout := opts.LockTimeout
	if timeout == 0 {
		timeout = DefaultLockTimeout
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, NoSync: false})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open outbox %s: %w (is another kioskd running?)", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open outbox %s: %w", path, err)
	}
	o := &Outbox{
		db:       db,
		maxItems: opts.MaxItems,
		maxBytes: opts.MaxBytes,
		now:      opts.Now,
		wake:     make(chan struct{}, 1),
	}
	if o.maxItems == 0 {
		o.maxItems = DefaultMaxItems
	}
	if o.maxBytes == 0 {
		o.maxBytes = DefaultMaxBytes
	}
	if o.now == nil {
		o.now = time.Now
	}
	if err := o.prepare(path, created); err != nil {
		db.Close()
		return nil, err
	}
	return o, nil
}

// prepare tightens the file mode, makes a new file's directory entry durable
// and creates the buckets.
func (o *Outbox) prepare(path string, created bool) error {
	// bbolt applies the mode only when it creates the file.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("open outbox: %w", err)
	}
	if created {
		if err := syncDir(filepath.Dir(path)); err != nil {
			return fmt.Errorf("open outbox: %w", err)
		}
	}
	return o.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketQueue, bucketDead, bucketBlobs, bucketIDs, bucketReceipts} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("open outbox: %w", err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keyVersion); {
		case v == nil:
			return meta.Put(keyVersion, []byte{formatVersion})
		case len(v) != 1 || v[0] != formatVersion:
			return fmt.Errorf("open outbox %s: format version %v, this build reads %d", path, v, formatVersion)
		}
		return nil
	})
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Close releases the file. Items stay on disk for the next Open.
func (o *Outbox) Close() error {
	return o.db.Close()
}

// Wake is signalled after a Put and after RetryNow, so that an uploader
// waiting for the next due time can start at once. Signals coalesce: one
// pending signal stands for any number of events.
func (o *Outbox) Wake() <-chan struct{} {
	return o.wake
}

func (o *Outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *Outbox) update(fn func(*bolt.Tx) error) error {
	return closedErr(o.db.Update(fn))
}

func (o *Outbox) view(fn func(*bolt.Tx) error) error {
	return closedErr(o.db.View(fn))
}

func closedErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// counters are kept in the same transactions as the items they count, so
// they cannot drift and the limits cost O(1) to check.
type counters struct {
	queued, queuedBytes, dead, deadBytes, delivered int64
}

func loadCounters(tx *bolt.Tx) counters {
	b := tx.Bucket(bucketMeta).Get(keyCounters)
	if len(b) != 5*8 {
		return counters{}
	}
	u := func(i int) int64 { return int64(binary.BigEndian.Uint64(b[i*8:])) }
	return counters{u(0), u(1), u(2), u(3), u(4)}
}

func (c counters) store(tx *bolt.Tx) error {
	b := make([]byte, 0, 5*8)
	for _, v := range []int64{c.queued, c.queuedBytes, c.dead, c.deadBytes, c.delivered} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return tx.Bucket(bucketMeta).Put(keyCounters, b)
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}
