package outbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/idkiosk/idkiosk/sync/durable"
)

// FailpointMidCompaction is where Compact calls Options.Failpoint: the
// compacted copy is complete and synced, and has not yet replaced the file.
const FailpointMidCompaction = "mid-compaction"

// compactTxBytes bounds one transaction of the copy, so that compacting a
// file with many dead letters does not hold all of them in memory at once.
const compactTxBytes = 4 << 20

func compactPath(path string) string { return path + ".compact" }

// Compact rewrites the file without its free pages when that is worth it:
// nothing is queued (so no delivery is under way and the copy is small),
// the file is at least Options.CompactMinBytes, and at least half of it is
// free pages. bbolt never gives space back to the file system on its own,
// and the freed pages still hold old ciphertext. It reports whether it
// rewrote the file.
//
// Crash safety: the copy goes to a new file next to the old one, bbolt
// commits it with fsync, it is fsync'd once more as a whole, renamed over
// the old file, and the directory is fsync'd. A crash before the rename
// leaves the old file untouched (Open deletes the partial copy); a crash
// after it leaves the complete copy. Other calls wait while it runs.
func (o *Outbox) Compact() (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false, ErrClosed
	}
	if o.db == nil {
		return false, fmt.Errorf("outbox compact: %w", o.openErr)
	}
	worth, err := o.worthCompacting()
	if err != nil || !worth {
		return false, err
	}
	tmp := compactPath(o.path)
	if err := o.writeCompactCopy(tmp); err != nil {
		os.Remove(tmp)
		return false, commitErr(fmt.Errorf("outbox compact: %w", err))
	}
	if o.failpoint != nil {
		o.failpoint(FailpointMidCompaction)
	}
	if err := os.Rename(tmp, o.path); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("outbox compact: %w", err)
	}
	// From here the old file is gone from the directory: whatever
	// happens, the db must be reopened on the new one.
	o.db.Close()
	o.db = nil
	if err := durable.SyncDir(filepath.Dir(o.path)); err != nil {
		o.openErr = err
		return true, fmt.Errorf("outbox compact: sync dir: %w", err)
	}
	db, err := o.openDB()
	if err != nil {
		o.openErr = err
		return true, fmt.Errorf("outbox compact: %w", err)
	}
	o.db = db
	return true, nil
}

func (o *Outbox) worthCompacting() (bool, error) {
	fi, err := os.Stat(o.path)
	if err != nil {
		return false, fmt.Errorf("outbox compact: %w", err)
	}
	if fi.Size() < o.compactMin {
		return false, nil
	}
	var queued int64
	var used int64
	err = o.db.View(func(tx *bolt.Tx) error {
		queued = loadCounters(tx).queued
		used = tx.Size()
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("outbox compact: %w", err)
	}
	// FreePageN is set when the file is opened and after every write;
	// bbolt's FreeAlloc only after a write.
	st := o.db.Stats()
	used -= int64(st.FreePageN+st.PendingPageN) * int64(o.db.Info().PageSize)
	return queued == 0 && used <= fi.Size()/2, nil
}

func (o *Outbox) writeCompactCopy(tmp string) error {
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dst, err := bolt.Open(tmp, 0o600, boltOptions(0))
	if err != nil {
		return err
	}
	if err := bolt.Compact(dst, o.db, compactTxBytes); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	// bbolt synced every commit; this also covers the file's size and
	// anything its initialisation wrote.
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// FileBytes is the size of the outbox file on disk.
func (o *Outbox) FileBytes() (int64, error) {
	fi, err := os.Stat(o.path)
	if err != nil {
		return 0, fmt.Errorf("outbox file size: %w", err)
	}
	return fi.Size(), nil
}

// Path is the outbox file's path.
func (o *Outbox) Path() string { return o.path }
