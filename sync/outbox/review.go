package outbox

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The checks bucket indexes receipts by their NextCheck, so that finding
// the profiles to ask about costs what is due, not every receipt ever kept:
// key = u64 BE unix nanos of NextCheck | profile id, empty value.

func checkKey(at time.Time, id string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(unixNano(at))), id...)
}

// DueChecks returns up to max receipts whose NextCheck is not after now,
// the longest-waiting first. max <= 0 means no limit.
func (o *Outbox) DueChecks(now time.Time, max int) ([]Receipt, error) {
	var out []Receipt
	err := o.view(func(tx *bolt.Tx) error {
		receipts := tx.Bucket(bucketReceipts)
		c := tx.Bucket(bucketChecks).Cursor()
		limit := uint64(unixNano(now))
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) < 8 || binary.BigEndian.Uint64(k) > limit {
				break
			}
			b := receipts.Get(k[8:])
			if b == nil {
				continue // cannot happen: SetReview moves both together
			}
			r, err := unmarshalReceipt(b)
			if err != nil {
				return err
			}
			out = append(out, r)
			if max > 0 && len(out) == max {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox due checks: %w", err)
	}
	return out, nil
}

// ReviewUpdate is the outcome of one status poll.
type ReviewUpdate struct {
	State     string    // as the service reported it; empty when the poll failed
	Updated   time.Time // when the service last changed the state
	Checked   time.Time // when this poll ran; zero means now
	NextCheck time.Time // zero: stop polling this profile
}

// SetReview records a status poll in the receipt and reschedules (or ends)
// polling for it. A failed poll (empty State) keeps the last known state.
func (o *Outbox) SetReview(id string, u ReviewUpdate) error {
	if u.Checked.IsZero() {
		u.Checked = o.now()
	}
	err := o.update(func(tx *bolt.Tx) error {
		receipts := tx.Bucket(bucketReceipts)
		b := receipts.Get([]byte(id))
		if b == nil {
			return ErrNotFound
		}
		r, err := unmarshalReceipt(b)
		if err != nil {
			return err
		}
		checks := tx.Bucket(bucketChecks)
		if !r.NextCheck.IsZero() {
			if err := checks.Delete(checkKey(r.NextCheck, id)); err != nil {
				return err
			}
		}
		if u.State != "" {
			r.Review, r.ReviewUpdated = clip(u.State), u.Updated
		}
		r.Checked, r.NextCheck = u.Checked, u.NextCheck
		r.Checks++
		if !r.NextCheck.IsZero() {
			if err := checks.Put(checkKey(r.NextCheck, id), nil); err != nil {
				return err
			}
		}
		return receipts.Put([]byte(id), r.marshal())
	})
	if err != nil {
		return fmt.Errorf("outbox set review %s: %w", id, err)
	}
	return nil
}

// NextCheck returns the earliest NextCheck of any receipt, and false when
// no receipt is waiting for a poll.
func (o *Outbox) NextCheck() (time.Time, bool, error) {
	var at time.Time
	var found bool
	err := o.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketChecks).Cursor().First()
		if len(k) >= 8 {
			at, found = fromUnixNano(int64(binary.BigEndian.Uint64(k))), true
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("outbox next check: %w", err)
	}
	return at, found, nil
}
