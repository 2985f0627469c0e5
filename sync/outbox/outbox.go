package outbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/idkiosk/idkiosk/sync/durable"
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
	// DefaultCompactMinBytes: below this a grown file is not worth a
	// rewrite; bbolt grows the file in 16 MiB steps past that size anyway.
	DefaultCompactMinBytes = 64 << 20
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
	// CompactMinBytes is the file size below which Compact never bothers;
	// zero means DefaultCompactMinBytes.
	CompactMinBytes int64
	// Failpoint, when set, is called at named points (the Failpoint*
	// constants) so a crash test can kill the process exactly there.
	Failpoint func(name string)
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
	// ErrNoSpace: the disk holding the outbox is full. Nothing was stored
	// by the failed call and what was stored before is intact.
	ErrNoSpace = errors.New("no space left for the outbox")
)

var (
	bucketMeta      = []byte("meta")
	bucketQueue     = []byte("queue")
	bucketDead      = []byte("dead")
	bucketBlobs     = []byte("blobs") // format 1 only: see blob.go
	bucketEnvelopes = []byte("envelopes")
	bucketIDs       = []byte("ids")
	bucketReceipts  = []byte("receipts")
	bucketChecks    = []byte("checks")
	keyVersion      = []byte("version")
	keyCounters     = []byte("counters")
)

const formatVersion = 2

// Outbox is the durable queue of sealed profiles. Its methods are safe for
// concurrent use.
type Outbox struct {
	path       string
	boltOpts   *bolt.Options
	maxItems   int
	maxBytes   int64
	compactMin int64
	now        func() time.Time
	failpoint  func(string)
	wake       chan struct{}

	// mu guards db. Transactions hold it shared; replacing the file
	// (Compact) or reopening it after a failed commit holds it exclusively.
	mu      sync.RWMutex
	db      *bolt.DB
	closed  bool
	openErr error // why the last reopen failed; retried on the next call

	deletes atomic.Int64 // envelopes deleted, for sweep (mmap.go)
	sharing atomic.Int32 // updateShared calls under way
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
	o := &Outbox{
		path:       path,
		boltOpts:   boltOptions(timeout),
		maxItems:   opts.MaxItems,
		maxBytes:   opts.MaxBytes,
		compactMin: opts.CompactMinBytes,
		now:        opts.Now,
		failpoint:  opts.Failpoint,
		wake:       make(chan struct{}, 1),
	}
	if o.maxItems == 0 {
		o.maxItems = DefaultMaxItems
	}
	if o.maxBytes == 0 {
		o.maxBytes = DefaultMaxBytes
	}
	if o.compactMin <= 0 {
		o.compactMin = DefaultCompactMinBytes
	}
	if o.now == nil {
		o.now = time.Now
	}
	db, err := o.openDB()
	if err != nil {
		return nil, err
	}
	o.db = db
	// A compaction that a crash interrupted before its rename left only
	// a partial copy behind; the real file was never touched. (Only now:
	// with the file lock held, no other process is compacting.)
	if err := os.Remove(compactPath(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		db.Close()
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	if err := o.prepare(path, created); err != nil {
		db.Close()
		return nil, err
	}
	return o, nil
}

func (o *Outbox) openDB() (*bolt.DB, error) {
	db, err := bolt.Open(o.path, 0o600, o.boltOpts)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open outbox %s: %w (is another kioskd running?)", o.path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open outbox %s: %w", o.path, err)
	}
	// Acks from parallel PUTs share a commit (updateShared); the wait
	// for company is short, since each Ack's caller waits for it.
	db.MaxBatchDelay = 2 * time.Millisecond
	return db, nil
}

// boltOptions are the options of every outbox file, the compacted copy's
// included.
//
// Page size and freelist: a drain frees an envelope's pages one Ack at a
// time, and bbolt writes its whole freelist (one id per free page) in
// every commit and keeps it in memory. With bbolt's default 4 KB pages and
// array freelist, draining 5000 profiles of 400 KB (~500k pages) made each
// Ack write up to 4 MB and kioskd's peak RSS grow from 32 MB (1000
// queued) to 93 MB (5000) (BENCHMARKS.md). 64 KB pages cut the ids
// 16-fold and the map freelist keeps free pages as spans: 46 and 48 MB.
// The cost is that a commit writes a 64 KB page per leaf it changes:
// ~0.4 MB more per Put and per Ack (a 300 KB Put went from 0.35 to 0.57 ms
// on the dev machine), while the freelist a 2 GB drain wrote with 4 KB
// pages averaged 2 MB per commit.
// Not NoFreelistSync, which etcd uses: then bbolt rebuilds the freelist
// when it opens the file by walking every page, and on a 2 GB backlog that
// walk alone mapped ~340 MB. PageSize applies to new files only; Compact
// moves an older file to it.
func boltOptions(timeout time.Duration) *bolt.Options {
	return &bolt.Options{
		Timeout:      timeout,
		NoSync:       false,
		PageSize:     64 << 10,
		FreelistType: bolt.FreelistMapType,
	}
}

// prepare tightens the file mode, makes a new file's directory entry durable
// and creates the buckets.
func (o *Outbox) prepare(path string, created bool) error {
	// bbolt applies the mode only when it creates the file.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("open outbox: %w", err)
	}
	if created {
		if err := durable.SyncDir(filepath.Dir(path)); err != nil {
			return fmt.Errorf("open outbox: %w", err)
		}
	}
	return o.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketQueue, bucketDead, bucketEnvelopes, bucketIDs, bucketReceipts, bucketChecks} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("open outbox: %w", err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keyVersion); {
		case v == nil:
			return meta.Put(keyVersion, []byte{formatVersion})
		case len(v) == 1 && v[0] == 1:
			// Format 1 differs only in where envelopes live, and its
			// "blobs" bucket is still read (blob.go). The version goes
			// up so that an older build refuses the file instead of
			// missing the envelopes written from now on.
			return meta.Put(keyVersion, []byte{formatVersion})
		case len(v) != 1 || v[0] != formatVersion:
			return fmt.Errorf("open outbox %s: format version %v, this build reads 1 and %d", path, v, formatVersion)
		}
		return nil
	})
}

// Close releases the file. Items stay on disk for the next Open.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	if o.db == nil {
		return nil
	}
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

// update runs fn in a write transaction. When the commit itself fails (a
// full disk, an I/O error) the file is reopened before the next call:
// bbolt rolls its in-memory state back, but its issue tracker has a history
// of freelist state surviving a failed commit (etcd-io/bbolt#797), and
// reading the file afresh is the one state known to match the disk.
func (o *Outbox) update(fn func(*bolt.Tx) error) error {
	return o.write((*bolt.DB).Update, fn)
}

// updateShared is update for a write that may share its transaction (and
// its fsync) with others of its kind under way at the same time: bbolt's
// Batch. fn must be idempotent: Batch may run it more than once. A lone
// caller does not wait for company.
func (o *Outbox) updateShared(fn func(*bolt.Tx) error) error {
	defer o.sharing.Add(-1)
	if o.sharing.Add(1) == 1 {
		return o.update(fn)
	}
	return o.write((*bolt.DB).Batch, fn)
}

// write runs fn through commit (Update or Batch) and reopens the file
// when the commit itself failed, as update says.
func (o *Outbox) write(commit func(*bolt.DB, func(*bolt.Tx) error) error, fn func(*bolt.Tx) error) error {
	db, unlock, err := o.acquire()
	if err != nil {
		return err
	}
	var fnErr error
	err = commit(db, func(tx *bolt.Tx) error {
		fnErr = fn(tx)
		return fnErr
	})
	unlock()
	if err != nil && fnErr == nil {
		o.reopen(db)
		return commitErr(err)
	}
	return closedErr(err)
}

func (o *Outbox) view(fn func(*bolt.Tx) error) error {
	db, unlock, err := o.acquire()
	if err != nil {
		return err
	}
	defer unlock()
	return closedErr(db.View(fn))
}

// acquire returns the open db, held shared until unlock; it retries a
// reopen that failed earlier.
func (o *Outbox) acquire() (*bolt.DB, func(), error) {
	o.mu.RLock()
	if o.closed {
		o.mu.RUnlock()
		return nil, nil, ErrClosed
	}
	if o.db != nil {
		return o.db, o.mu.RUnlock, nil
	}
	o.mu.RUnlock()
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil, nil, ErrClosed
	}
	if o.db == nil {
		db, err := o.openDB()
		if err != nil {
			o.openErr = err
			o.mu.Unlock()
			return nil, nil, err
		}
		o.db, o.openErr = db, nil
	}
	o.mu.Unlock()
	return o.acquire()
}

// reopen closes failed (if it is still the current db) and opens the file
// again. A failure leaves db nil, and the next call tries again.
func (o *Outbox) reopen(failed *bolt.DB) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || o.db != failed {
		return
	}
	o.db.Close()
	o.db = nil
	db, err := o.openDB()
	if err != nil {
		o.openErr = err
		return
	}
	o.db = db
}

// commitErr marks a failed commit caused by a full disk with ErrNoSpace.
// bbolt passes the write error up unwrapped on most paths, but its file
// growth error is formatted with %s, so the text is checked too.
func commitErr(err error) error {
	if errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), syscall.ENOSPC.Error()) {
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
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
