package outbox

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Ack records delivery: the sealed blob is deleted and a Receipt kept. The
// caller supplies Delivered (zero means now), Digest and, to have the
// review outcome polled, NextCheck; ID, Created and Attempts come from the
// queued item. Acking an id that already has a receipt is a no-op, so a
// crash between delivery and Ack only costs a resend that the service
// answers as a replay.
func (o *Outbox) Ack(id string, r Receipt) error {
	if r.Delivered.IsZero() {
		r.Delivered = o.now()
	}
	// Idempotent (a second run finds the receipt), so Acks of parallel
	// deliveries may share one commit.
	err := o.updateShared(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketReceipts).Get([]byte(id)) != nil {
			return nil
		}
		key, v, err := queuedKey(tx, id)
		if err != nil {
			return err
		}
		rec, err := unmarshalRecord(v)
		if err != nil {
			return err
		}
		size := int64(len(getBlob(tx, key)))
		if err := deleteBlob(tx, key); err != nil {
			return err
		}
		for _, del := range []struct{ bucket, key []byte }{
			{bucketQueue, key}, {bucketIDs, []byte(id)},
		} {
			if err := tx.Bucket(del.bucket).Delete(del.key); err != nil {
				return err
			}
		}
		r.ID, r.Created, r.Attempts = id, rec.Created, rec.Attempts+1
		if err := tx.Bucket(bucketReceipts).Put([]byte(id), r.marshal()); err != nil {
			return err
		}
		if !r.NextCheck.IsZero() {
			if err := tx.Bucket(bucketChecks).Put(checkKey(r.NextCheck, id), nil); err != nil {
				return err
			}
		}
		c := loadCounters(tx)
		c.queued--
		c.queuedBytes -= size
		c.delivered++
		return c.store(tx)
	})
	if err != nil {
		return fmt.Errorf("outbox ack %s: %w", id, err)
	}
	o.sweep()
	return nil
}

// Dead moves a queued item to the dead-letter bucket with the reason. Its
// sealed bytes stay on disk and it keeps counting against the limits, so
// nothing is lost and staff are pushed to deal with it; the uploader never
// sends it again. Attempts counts the failure that killed it.
func (o *Outbox) Dead(id string, reason string) error {
	now := o.now()
	err := o.update(func(tx *bolt.Tx) error {
		key, v, err := queuedKey(tx, id)
		if err != nil {
			return err
		}
		rec, err := unmarshalRecord(v)
		if err != nil {
			return err
		}
		// The permanent failure was an attempt too.
		rec.Reason, rec.DeadAt, rec.Attempts = reason, now, rec.Attempts+1
		if err := tx.Bucket(bucketQueue).Delete(key); err != nil {
			return err
		}
		if err := tx.Bucket(bucketDead).Put(key, rec.marshal()); err != nil {
			return err
		}
		size := int64(len(getBlob(tx, key)))
		c := loadCounters(tx)
		c.queued--
		c.queuedBytes -= size
		c.dead++
		c.deadBytes += size
		return c.store(tx)
	})
	if err != nil {
		return fmt.Errorf("outbox dead %s: %w", id, err)
	}
	return nil
}

// DeadLetter describes a dead-lettered profile, without its sealed bytes.
type DeadLetter struct {
	ID        string
	Seq       uint64
	Created   time.Time
	DeadAt    time.Time
	Reason    string
	Attempts  int
	LastError string
	Size      int64 // sealed bytes still held
}

// DeadLetters lists dead-lettered profiles, oldest first, for staff mode
// and alerts.
func (o *Outbox) DeadLetters() ([]DeadLetter, error) {
	var out []DeadLetter
	err := o.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDead).ForEach(func(k, v []byte) error {
			rec, err := unmarshalRecord(v)
			if err != nil {
				return fmt.Errorf("dead item %x: %w", k, err)
			}
			out = append(out, DeadLetter{
				ID:        rec.ID,
				Seq:       seqOf(k),
				Created:   rec.Created,
				DeadAt:    rec.DeadAt,
				Reason:    rec.Reason,
				Attempts:  rec.Attempts,
				LastError: rec.LastError,
				Size:      int64(len(getBlob(tx, k))),
			})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("outbox dead letters: %w", err)
	}
	return out, nil
}

// Receipt returns the receipt of a delivered profile.
func (o *Outbox) Receipt(id string) (Receipt, bool, error) {
	var r Receipt
	var found bool
	err := o.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReceipts).Get([]byte(id))
		if b == nil {
			return nil
		}
		var err error
		r, err = unmarshalReceipt(b)
		found = err == nil
		return err
	})
	if err != nil {
		return Receipt{}, false, fmt.Errorf("outbox receipt %s: %w", id, err)
	}
	return r, found, nil
}

// Stats is a snapshot of the outbox for staff mode, health and metrics.
type Stats struct {
	Queued      int
	QueuedBytes int64     // sealed bytes waiting for delivery
	Oldest      time.Time // Created of the oldest queued item; zero when empty
	Dead        int
	DeadBytes   int64
	Delivered   int // receipts kept
	MaxItems    int
	MaxBytes    int64
}

// Stats reports counts and sizes.
func (o *Outbox) Stats() (Stats, error) {
	var s Stats
	err := o.view(func(tx *bolt.Tx) error {
		c := loadCounters(tx)
		s = Stats{
			Queued:      int(c.queued),
			QueuedBytes: c.queuedBytes,
			Dead:        int(c.dead),
			DeadBytes:   c.deadBytes,
			Delivered:   int(c.delivered),
			MaxItems:    o.maxItems,
			MaxBytes:    o.maxBytes,
		}
		if _, v := tx.Bucket(bucketQueue).Cursor().First(); v != nil {
			rec, err := unmarshalRecord(v)
			if err != nil {
				return err
			}
			s.Oldest = rec.Created
		}
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("outbox stats: %w", err)
	}
	return s, nil
}
