package upload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/client"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// Putter delivers one sealed profile; *client.Client is one.
type Putter interface {
	PutProfile(ctx context.Context, id string, env []byte) (api.StoreResult, error)
}

var _ Putter = (*client.Client)(nil)

// Defaults for zero Uploader fields.
const (
	DefaultMinBackoff = 2 * time.Second
	DefaultMaxBackoff = 10 * time.Minute
	// defaultBatch bounds the sealed bytes copied out per pass (~300 KB each):
	// a deferral ends the pass, and the rest would be copied for nothing.
	defaultBatch = 4
)

// Uploader moves profiles from Outbox to Client. Set the exported fields,
// then call Run once.
type Uploader struct {
	Outbox *outbox.Outbox
	Client Putter
	Log    *slog.Logger // nil discards
	// MinBackoff is the first retry delay; each failed attempt doubles it,
	// up to MaxBackoff, which also caps a server's Retry-After.
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock for next-attempt times; nil means time.Now.
	Now func() time.Time
	// Classify says whether an error from Client is worth retrying, and
	// after how long the server asked; nil means client.Retryable.
	Classify func(error) (retry bool, after time.Duration)

	running atomic.Bool
	// The pause after a retryable failure: nothing is sent before
	// pauseUntil unless the item that caused it becomes due earlier
	// (RetryNow). Only Run's goroutine touches these.
	pauseID    string
	pauseUntil time.Time

	mu    sync.Mutex
	stats Stats
}

// Stats counts what the uploader did since it started.
type Stats struct {
	Attempts    int // PUTs started
	Delivered   int // acknowledged by the service and acked in the outbox
	Retries     int // retryable failures, deferred
	Dead        int // permanent failures, dead-lettered
	LastError   string
	LastErrorAt time.Time
	LastSuccess time.Time
	PausedUntil time.Time // zero when not paused
}

// Stats returns a snapshot, for staff mode and metrics.
func (u *Uploader) Stats() Stats {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.stats
}

func (u *Uploader) record(change func(*Stats)) {
	u.mu.Lock()
	change(&u.stats)
	u.mu.Unlock()
}

// Run delivers due profiles until ctx is cancelled, then returns nil.
// Cancelling mid-PUT loses nothing: the profile stays queued, unchanged, and
// is sent again next time. Run returns an error only if the outbox is closed
// or Run is misconfigured; other outbox errors are logged and retried.
func (u *Uploader) Run(ctx context.Context) error {
	if u.Outbox == nil || u.Client == nil {
		return errors.New("upload: Outbox and Client are required")
	}
	if !u.running.CompareAndSwap(false, true) {
		return errors.New("upload: Run is already running")
	}
	defer u.running.Store(false)

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait, err := u.drain(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, outbox.ErrClosed) {
			return fmt.Errorf("upload: %w", err)
		}
		if err != nil {
			u.log().Error("outbox failed; trying again later", "err", err)
			u.record(func(s *Stats) { s.LastError, s.LastErrorAt = err.Error(), u.now() })
			wait = u.maxBackoff()
		}
		var tick <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-u.Outbox.Wake():
		case <-tick:
		}
	}
}

// drain sends due items until none is due, the queue pauses, or ctx ends.
// It returns how long to wait before the next pass, or -1 when nothing is
// queued (wait for Wake alone).
func (u *Uploader) drain(ctx context.Context) (time.Duration, error) {
	for ctx.Err() == nil {
		now := u.now()
		items, err := u.Outbox.Due(now, defaultBatch)
		if err != nil {
			return 0, err
		}
		if u.paused(now, items) {
			return u.pauseUntil.Sub(now), nil
		}
		if len(items) == 0 {
			next, ok, err := u.Outbox.NextDue()
			if err != nil || !ok {
				return -1, err
			}
			if wait := next.Sub(u.now()); wait > 0 {
				return wait, nil
			}
			continue
		}
		for _, it := range items {
			if ctx.Err() != nil {
				break
			}
			stop, err := u.send(ctx, it)
			if err != nil {
				return 0, err
			}
			if stop {
				return max(u.pauseUntil.Sub(u.now()), 0), nil
			}
		}
	}
	return 0, nil
}

// paused reports whether the queue is still held by an earlier retryable
// failure. The hold ends at pauseUntil, or as soon as the item that caused
// it is due again (staff pressed "sync now").
func (u *Uploader) paused(now time.Time, due []outbox.Item) bool {
	if u.pauseID == "" {
		return false
	}
	if now.Before(u.pauseUntil) {
		held := true
		for _, it := range due {
			if it.ID == u.pauseID {
				held = false
			}
		}
		if held {
			return true
		}
	}
	u.pauseID, u.pauseUntil = "", time.Time{}
	u.record(func(s *Stats) { s.PausedUntil = time.Time{} })
	return false
}

// send makes one delivery attempt and records its outcome in the outbox.
// stop is true when the pass must end: a deferral paused the queue, or ctx
// was cancelled.
func (u *Uploader) send(ctx context.Context, it outbox.Item) (stop bool, err error) {
	log := u.log().With("profile", it.ID, "attempt", it.Attempts+1)
	u.record(func(s *Stats) { s.Attempts++ })
	res, putErr := u.Client.PutProfile(ctx, it.ID, it.Sealed)
	if putErr == nil {
		now := u.now()
		if err := u.Outbox.Ack(it.ID, outbox.Receipt{Delivered: now, Digest: res.Digest}); err != nil {
			// Delivered but not recorded: it is resent later and the
			// service answers with a replay, so nothing is lost.
			return true, err
		}
		u.record(func(s *Stats) { s.Delivered++; s.LastSuccess = now })
		log.Info("profile delivered", "digest", res.Digest)
		return false, nil
	}
	if ctx.Err() != nil {
		// Our own shutdown, not the service's verdict: leave the item
		// exactly as it was.
		return true, nil
	}

	now := u.now()
	reason := putErr.Error()
	u.record(func(s *Stats) { s.LastError, s.LastErrorAt = reason, now })
	retry, after := u.classify(putErr)
	if errors.Is(putErr, client.ErrUnauthorized) {
		retry, after = true, u.maxBackoff()
		log.Warn("device not authorized; holding the queue", "err", reason)
	}
	if !retry {
		if err := u.Outbox.Dead(it.ID, reason); err != nil {
			return true, err
		}
		u.record(func(s *Stats) { s.Dead++ })
		log.Warn("profile dead-lettered", "reason", reason)
		return false, nil
	}

	next := now.Add(u.backoff(it.Attempts, after))
	if err := u.Outbox.Defer(it.ID, next, reason); err != nil {
		return true, err
	}
	u.pauseID, u.pauseUntil = it.ID, next
	u.record(func(s *Stats) { s.Retries++; s.PausedUntil = next })
	log.Info("delivery deferred", "next", next, "err", reason)
	return true, nil
}

// backoff is the delay after an item's attempts-th failure (0-based):
// exponential from MinBackoff with "equal jitter" (half fixed, half random),
// so a failure never leads to an immediate resend, and at least what the
// server asked for with Retry-After, all capped at MaxBackoff.
func (u *Uploader) backoff(attempts int, after time.Duration) time.Duration {
	lo, hi := u.minBackoff(), u.maxBackoff()
	d := lo
	for range max(attempts, 0) {
		if d >= hi/2 {
			d = hi
			break
		}
		d *= 2
	}
	d = min(d, hi)
	d = d/2 + rand.N(d/2+1)
	return min(max(d, after), hi)
}

func (u *Uploader) classify(err error) (bool, time.Duration) {
	if u.Classify != nil {
		return u.Classify(err)
	}
	return client.Retryable(err)
}

func (u *Uploader) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *Uploader) minBackoff() time.Duration {
	if u.MinBackoff > 0 {
		return u.MinBackoff
	}
	return DefaultMinBackoff
}

func (u *Uploader) maxBackoff() time.Duration {
	if u.MaxBackoff > 0 {
		return max(u.MaxBackoff, u.minBackoff())
	}
	return max(DefaultMaxBackoff, u.minBackoff())
}

func (u *Uploader) log() *slog.Logger {
	if u.Log != nil {
		return u.Log
	}
	return slog.New(slog.DiscardHandler)
}
