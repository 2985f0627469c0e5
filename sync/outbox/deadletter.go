package outbox

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// RetryDead puts dead-lettered profiles back in the queue, due now, once
// staff have dealt with the cause (the service was fixed, a limit raised).
// With no ids it retries every dead letter. A profile keeps its place in
// line (its sequence number), its attempt count and its last error; the
// dead reason is cleared. It returns how many profiles were requeued and
// wakes the uploader. An id that is not dead-lettered is ErrNotFound, and
// then nothing is requeued.
func (o *Outbox) RetryDead(ids ...string) (int, error) {
	now := o.now()
	var n int
	err := o.update(func(tx *bolt.Tx) error {
		dead, queue := tx.Bucket(bucketDead), tx.Bucket(bucketQueue)
		var keys [][]byte
		if len(ids) == 0 {
			err := dead.ForEach(func(k, _ []byte) error {
				keys = append(keys, bytes.Clone(k))
				return nil
			})
			if err != nil {
				return err
			}
		}
		for _, id := range ids {
			k := tx.Bucket(bucketIDs).Get([]byte(id))
			if k == nil || dead.Get(k) == nil {
				return fmt.Errorf("%s: %w", id, ErrNotFound)
			}
			keys = append(keys, bytes.Clone(k))
		}
		c := loadCounters(tx)
		for _, k := range keys {
			rec, err := unmarshalRecord(dead.Get(k))
			if err != nil {
				return fmt.Errorf("dead item %x: %w", k, err)
			}
			rec.Reason, rec.DeadAt, rec.NextAttempt = "", time.Time{}, now
			if err := dead.Delete(k); err != nil {
				return err
			}
			if err := queue.Put(k, rec.marshal()); err != nil {
				return err
			}
			size := int64(len(getBlob(tx, k)))
			c.dead--
			c.deadBytes -= size
			c.queued++
			c.queuedBytes += size
		}
		n = len(keys)
		return c.store(tx)
	})
	if err != nil {
		return 0, fmt.Errorf("outbox retry dead: %w", err)
	}
	if n > 0 {
		o.signal()
	}
	return n, nil
}

// DeadSealed returns a copy of a dead letter's sealed envelope, for export.
// Each call is its own short transaction: an export streamed to a slow
// reader must not hold a read transaction open, which would stall bbolt's
// remapping and with it the next learner's save.
func (o *Outbox) DeadSealed(id string) ([]byte, error) {
	var out []byte
	err := o.view(func(tx *bolt.Tx) error {
		k := tx.Bucket(bucketIDs).Get([]byte(id))
		if k == nil || tx.Bucket(bucketDead).Get(k) == nil {
			return ErrNotFound
		}
		blob := getBlob(tx, k)
		out = bytes.Clone(blob)
		dropPages(tx, blob)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox dead letter %s: %w", id, err)
	}
	return out, nil
}
