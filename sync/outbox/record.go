package outbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

const recordVersion = 1

// Limits on the bookkeeping strings, so that a chatty error cannot bloat
// every record.
const (
	maxIDLen    = 255
	maxTextLen  = 1024
	fixedHeader = 1 + 8 + 8 + 8 + 4 + 1
)

// record is an item's bookkeeping, stored apart from its sealed blob.
type record struct {
	ID          string
	Created     time.Time
	NextAttempt time.Time
	DeadAt      time.Time
	Attempts    int
	LastError   string
	Reason      string
}

var errRecord = errors.New("corrupt outbox record")

func (r *record) marshal() []byte {
	lastErr, reason := clip(r.LastError), clip(r.Reason)
	b := make([]byte, 0, fixedHeader+len(r.ID)+2+len(lastErr)+2+len(reason))
	b = append(b, recordVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(unixNano(r.Created)))
	b = binary.BigEndian.AppendUint64(b, uint64(unixNano(r.NextAttempt)))
	b = binary.BigEndian.AppendUint64(b, uint64(unixNano(r.DeadAt)))
	b = binary.BigEndian.AppendUint32(b, uint32(min(max(r.Attempts, 0), 1<<31)))
	b = append(b, byte(len(r.ID)))
	b = append(b, r.ID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(lastErr)))
	b = append(b, lastErr...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(reason)))
	b = append(b, reason...)
	return b
}

// unmarshalRecord decodes b, copying every string out of it: b usually
// points into bbolt's mmap and is gone once the transaction ends.
func unmarshalRecord(b []byte) (record, error) {
	if len(b) < fixedHeader {
		return record{}, fmt.Errorf("%w: %d bytes", errRecord, len(b))
	}
	if b[0] != recordVersion {
		return record{}, fmt.Errorf("%w: version %d, this build reads %d", errRecord, b[0], recordVersion)
	}
	r := record{
		Created:     fromUnixNano(int64(binary.BigEndian.Uint64(b[1:]))),
		NextAttempt: fromUnixNano(int64(binary.BigEndian.Uint64(b[9:]))),
		DeadAt:      fromUnixNano(int64(binary.BigEndian.Uint64(b[17:]))),
		Attempts:    int(binary.BigEndian.Uint32(b[25:])),
	}
	rest := b[29:]
	id, rest, ok := cutLen(rest, 1)
	if !ok {
		return record{}, fmt.Errorf("%w: id", errRecord)
	}
	lastErr, rest, ok := cutLen(rest, 2)
	if !ok {
		return record{}, fmt.Errorf("%w: last error", errRecord)
	}
	reason, rest, ok := cutLen(rest, 2)
	if !ok || len(rest) != 0 {
		return record{}, fmt.Errorf("%w: reason", errRecord)
	}
	r.ID, r.LastError, r.Reason = string(id), string(lastErr), string(reason)
	return r, nil
}

// cutLen splits a length-prefixed field (prefix of n bytes) off b.
func cutLen(b []byte, n int) (field, rest []byte, ok bool) {
	if len(b) < n {
		return nil, nil, false
	}
	var l int
	if n == 1 {
		l = int(b[0])
	} else {
		l = int(binary.BigEndian.Uint16(b))
	}
	b = b[n:]
	if len(b) < l {
		return nil, nil, false
	}
	return b[:l], b[l:], true
}

// clip shortens s to maxTextLen bytes without splitting a UTF-8 sequence.
func clip(s string) string {
	if len(s) <= maxTextLen {
		return s
	}
	// A cut sequence at the end becomes invalid UTF-8, which this drops.
	return strings.ToValidUTF8(s[:maxTextLen], "")
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Receipt is what remains of a profile after delivery: enough for staff to
// confirm it went through and where its review stands, nothing that
// identifies the learner.
type Receipt struct {
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	Delivered time.Time `json:"delivered"`
	Digest    string    `json:"digest"`   // Content-Digest the service confirmed
	Attempts  int       `json:"attempts"` // PUTs it took, the successful one included

	// Review is the review state as last polled from the service
	// (pending_review, approved, rejected; empty until the first answer).
	// The reviewer's free-text reason is deliberately not kept: it is
	// written by a person and may quote the learner. Staff fetch it live.
	Review        string    `json:"review,omitempty"`
	ReviewUpdated time.Time `json:"review_updated,omitzero"` // when the service last changed it
	Checked       time.Time `json:"checked,omitzero"`        // the last poll, answered or not
	Checks        int       `json:"checks,omitempty"`        // polls so far
	// NextCheck is when to poll again; zero means never (a final state,
	// or the profile is too old to keep asking about).
	NextCheck time.Time `json:"next_check,omitzero"`
}

func (r Receipt) marshal() []byte {
	b, _ := json.Marshal(r) // strings, times and an int: cannot fail
	return b
}

func unmarshalReceipt(b []byte) (Receipt, error) {
	var r Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		return Receipt{}, fmt.Errorf("corrupt receipt: %w", err)
	}
	return r, nil
}
