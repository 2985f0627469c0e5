package outbox

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/idkiosk/idkiosk/sync/envelope"
)

// NewItem is a sealed profile to queue.
type NewItem struct {
	ID      string    // the profile id (and Idempotency-Key)
	Created time.Time // when the learner submitted; zero means now
	Sealed  []byte    // the envelope; Put copies it into the file
}

// Item is a queued profile as the uploader sees it. Sealed is a copy the
// caller owns.
type Item struct {
	ID          string
	Seq         uint64 // insertion order
	Created     time.Time
	Sealed      []byte
	Attempts    int       // failed delivery attempts so far
	NextAttempt time.Time // not to be sent before this
	LastError   string
	Size        int64 // length of the sealed envelope
}

// Put queues a sealed profile and returns once it is committed and fsync'd.
// ctx is checked before the write starts; a write that has started is not
// abandoned halfway, because a half-written profile is worse than a late one.
func (o *Outbox) Put(ctx context.Context, it NewItem) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("outbox put: %w", err)
	}
	if it.ID == "" || len(it.ID) > maxIDLen {
		return fmt.Errorf("outbox put: id of %d bytes, want 1 to %d", len(it.ID), maxIDLen)
	}
	// A cheap guard, not a proof: it catches plaintext (or another
	// profile's envelope) handed to Put by mistake.
	if h, err := envelope.ParseHeader(it.Sealed); err != nil || h.ProfileID != it.ID {
		return fmt.Errorf("outbox put %s: %w", it.ID, ErrNotSealed)
	}
	now := o.now()
	rec := record{ID: it.ID, Created: it.Created, NextAttempt: now}
	if rec.Created.IsZero() {
		rec.Created = now
	}
	size := int64(len(it.Sealed))
	err := o.update(func(tx *bolt.Tx) error {
		id := []byte(it.ID)
		if tx.Bucket(bucketIDs).Get(id) != nil || tx.Bucket(bucketReceipts).Get(id) != nil {
			return ErrDuplicate
		}
		c := loadCounters(tx)
		if c.queued+c.dead+1 > int64(o.maxItems) || c.queuedBytes+c.deadBytes+size > o.maxBytes {
			return ErrFull
		}
		queue := tx.Bucket(bucketQueue)
		seq, err := queue.NextSequence()
		if err != nil {
			return err
		}
		key := seqKey(seq)
		if err := queue.Put(key, rec.marshal()); err != nil {
			return err
		}
		if err := putBlob(tx, key, it.Sealed); err != nil {
			return err
		}
		if err := tx.Bucket(bucketIDs).Put(id, key); err != nil {
			return err
		}
		c.queued++
		c.queuedBytes += size
		return c.store(tx)
	})
	if err != nil {
		return fmt.Errorf("outbox put %s: %w", it.ID, err)
	}
	o.signal()
	return nil
}

// Due returns up to max queued items whose NextAttempt is not after now,
// oldest first. max <= 0 means no limit.
func (o *Outbox) Due(now time.Time, max int) ([]Item, error) {
	var items []Item
	err := o.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			rec, err := unmarshalRecord(v)
			if err != nil {
				return fmt.Errorf("item %x: %w", k, err)
			}
			if rec.NextAttempt.After(now) {
				continue
			}
			items = append(items, Item{
				ID:          rec.ID,
				Seq:         seqOf(k),
				Created:     rec.Created,
				Sealed:      bytes.Clone(getBlob(tx, k)), // the mmap'd value dies with tx
				Size:        int64(len(getBlob(tx, k))),
				Attempts:    rec.Attempts,
				NextAttempt: rec.NextAttempt,
				LastError:   rec.LastError,
			})
			if max > 0 && len(items) == max {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox due: %w", err)
	}
	return items, nil
}

// Next returns the oldest queued item whose Seq is greater than after, and
// false when there is none. When that item is due at now, its Sealed is a
// copy of the envelope; when it is not, Sealed is nil and nothing behind it
// is looked at: the queue is delivered in order, so a deferred item holds
// back everything queued after it until its NextAttempt. That makes a
// backoff durable for the whole queue, not only for the item that failed.
//
// Next copies at most one envelope, so a drain that calls it once per
// worker holds as many envelopes as it has workers, whatever the backlog.
func (o *Outbox) Next(after uint64, now time.Time) (Item, bool, error) {
	var it Item
	var found bool
	err := o.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		k, v := c.Seek(seqKey(after + 1))
		if k == nil {
			return nil
		}
		rec, err := unmarshalRecord(v)
		if err != nil {
			return fmt.Errorf("item %x: %w", k, err)
		}
		found = true
		blob := getBlob(tx, k)
		it = Item{
			ID: rec.ID, Seq: seqOf(k), Created: rec.Created, Size: int64(len(blob)),
			Attempts: rec.Attempts, NextAttempt: rec.NextAttempt, LastError: rec.LastError,
		}
		if rec.NextAttempt.After(now) {
			return nil
		}
		it.Sealed = bytes.Clone(blob) // the mmap'd value dies with tx
		dropPages(tx, blob)
		return nil
	})
	if err != nil {
		return Item{}, false, fmt.Errorf("outbox next: %w", err)
	}
	return it, found, nil
}

// Queued lists up to max queued items with Seq greater than after, oldest
// first, without their envelopes (Sealed is nil; Size says how big). It is
// for staff listings: page through a long queue with after = the last Seq.
// max <= 0 means no limit.
func (o *Outbox) Queued(after uint64, max int) ([]Item, error) {
	var items []Item
	err := o.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
			rec, err := unmarshalRecord(v)
			if err != nil {
				return fmt.Errorf("item %x: %w", k, err)
			}
			items = append(items, Item{
				ID: rec.ID, Seq: seqOf(k), Created: rec.Created, Size: int64(len(getBlob(tx, k))),
				Attempts: rec.Attempts, NextAttempt: rec.NextAttempt, LastError: rec.LastError,
			})
			if max > 0 && len(items) == max {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox queued: %w", err)
	}
	return items, nil
}

// NextDue returns the earliest NextAttempt among queued items, and false
// when nothing is queued.
func (o *Outbox) NextDue() (time.Time, bool, error) {
	var next time.Time
	var found bool
	err := o.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketQueue).ForEach(func(k, v []byte) error {
			rec, err := unmarshalRecord(v)
			if err != nil {
				return fmt.Errorf("item %x: %w", k, err)
			}
			if !found || rec.NextAttempt.Before(next) {
				next, found = rec.NextAttempt, true
			}
			return nil
		})
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("outbox next due: %w", err)
	}
	return next, found, nil
}

// Defer records a failed attempt: Attempts goes up by one and the item is
// not due again before next. Both are on disk when Defer returns, so a
// reboot does not turn a backoff into a burst.
func (o *Outbox) Defer(id string, next time.Time, lastErr string) error {
	err := o.update(func(tx *bolt.Tx) error {
		return updateQueued(tx, id, func(r *record) {
			r.Attempts++
			r.NextAttempt = next
			r.LastError = lastErr
		})
	})
	if err != nil {
		return fmt.Errorf("outbox defer %s: %w", id, err)
	}
	return nil
}

// RetryNow makes every queued item due now (staff pressed "sync now") and
// wakes the uploader.
func (o *Outbox) RetryNow() error {
	now := o.now()
	err := o.update(func(tx *bolt.Tx) error {
		queue := tx.Bucket(bucketQueue)
		var keys [][]byte
		var recs []record
		err := queue.ForEach(func(k, v []byte) error {
			rec, err := unmarshalRecord(v)
			if err != nil {
				return fmt.Errorf("item %x: %w", k, err)
			}
			if rec.NextAttempt.After(now) {
				rec.NextAttempt = now
				keys, recs = append(keys, bytes.Clone(k)), append(recs, rec)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Writing while iterating with ForEach is not allowed in bbolt.
		for i, k := range keys {
			if err := queue.Put(k, recs[i].marshal()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("outbox retry now: %w", err)
	}
	o.signal()
	return nil
}

// queuedKey returns the sequence key of a queued item, or ErrNotFound when
// the id is unknown or dead-lettered.
func queuedKey(tx *bolt.Tx, id string) ([]byte, []byte, error) {
	key := tx.Bucket(bucketIDs).Get([]byte(id))
	if key == nil {
		return nil, nil, ErrNotFound
	}
	v := tx.Bucket(bucketQueue).Get(key)
	if v == nil {
		return nil, nil, ErrNotFound
	}
	return bytes.Clone(key), v, nil
}

func updateQueued(tx *bolt.Tx, id string, change func(*record)) error {
	key, v, err := queuedKey(tx, id)
	if err != nil {
		return err
	}
	rec, err := unmarshalRecord(v)
	if err != nil {
		return err
	}
	change(&rec)
	return tx.Bucket(bucketQueue).Put(key, rec.marshal())
}

func seqOf(k []byte) uint64 {
	var s uint64
	for _, b := range k {
		s = s<<8 | uint64(b)
	}
	return s
}
