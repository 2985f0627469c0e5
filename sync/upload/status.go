package upload

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/client"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// StatusChecker asks the service where a delivered profile's review
// stands; *client.Client is one.
type StatusChecker interface {
	Status(ctx context.Context, id string) (api.ProfileStatus, error)
}

var _ StatusChecker = (*client.Client)(nil)

// Defaults for a zero StatusPolicy.
const (
	// DefaultStatusFirst: reviewers rarely decide within minutes, and the
	// learner has left by then; a first look after a quarter of an hour
	// catches the fast ones.
	DefaultStatusFirst = 15 * time.Minute
	// DefaultStatusMax: reviews take days ("usually within 3 days"), so a
	// few polls a day per pending profile are plenty.
	DefaultStatusMax = 6 * time.Hour
	// DefaultStatusWindow: after two weeks staff are not asked about a
	// profile any more, and the service emails the learner anyway.
	DefaultStatusWindow = 14 * 24 * time.Hour
)

// statusBatch bounds the receipts read per poll pass.
const statusBatch = 32

// StatusPolicy paces review-status polling: the first poll StatusFirst
// after delivery, then each interval doubles (with jitter) up to
// StatusMax, until the review is decided or StatusWindow has passed since
// delivery. Zero fields take the defaults above.
type StatusPolicy struct {
	StatusFirst, StatusMax, StatusWindow time.Duration
}

// pollStatus asks about due receipts one at a time until ctx ends. It
// never stores the reviewer's free-text reason, only the state.
func (u *Uploader) pollStatus(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		wait := u.statusPass(ctx)
		if wait < 0 {
			next, ok, err := u.Outbox.NextCheck()
			switch {
			case err != nil:
				wait = u.maxBackoff()
			case ok:
				wait = max(next.Sub(u.now()), time.Millisecond)
			}
		}
		var tick <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tick = timer.C
		}
		select {
		case <-ctx.Done():
		case <-u.checkWake:
		case <-tick:
		}
	}
}

// statusPass polls every due receipt. It returns how long to wait before
// the next pass when the service could not be reached (the receipts are
// left as they were), or -1 to wait for the next receipt to become due.
func (u *Uploader) statusPass(ctx context.Context) time.Duration {
	for ctx.Err() == nil {
		due, err := u.Outbox.DueChecks(u.now(), statusBatch)
		if err != nil {
			u.log().Warn("reading receipts to poll failed", "err", err)
			return u.maxBackoff()
		}
		if len(due) == 0 {
			return -1
		}
		for _, r := range due {
			if ctx.Err() != nil {
				return -1
			}
			if wait, ok := u.checkOne(ctx, r); !ok {
				return wait
			}
		}
	}
	return -1
}

// checkOne polls one receipt and records the outcome. ok is false when the
// pass should stop: the service is unreachable or refuses the device.
func (u *Uploader) checkOne(ctx context.Context, r outbox.Receipt) (wait time.Duration, ok bool) {
	now := u.now()
	upd := outbox.ReviewUpdate{Checked: now}
	st, err := u.Status.Status(ctx, r.ID)
	switch {
	case ctx.Err() != nil:
		return 0, false
	case err == nil:
		upd.State, upd.Updated = string(st.State), st.Updated
		u.record(func(s *Stats) { s.StatusPolls++ })
	case errors.Is(err, client.ErrNotFound):
		// The service should know every profile it confirmed; keep
		// asking within the window in case it is restoring a backup.
	default:
		// Offline, or the device is not authorized: nothing about this
		// profile; leave every receipt alone and try later.
		u.log().Info("review status poll failed; trying later", "profile", r.ID, "err", err)
		return u.statusInterval(1), false
	}
	final := upd.State == string(api.StateApproved) || upd.State == string(api.StateRejected)
	if next := now.Add(u.statusInterval(r.Checks + 1)); !final && next.Sub(r.Delivered) < u.statusWindow() {
		upd.NextCheck = next
	}
	if err := u.Outbox.SetReview(r.ID, upd); err != nil {
		u.log().Warn("recording a review status failed", "profile", r.ID, "err", err)
		return u.maxBackoff(), false
	}
	if final {
		u.log().Info("review decided", "profile", r.ID, "state", upd.State)
	}
	return 0, true
}

// statusInterval is the wait before poll number checks (0-based): the
// first after StatusFirst, then doubling up to StatusMax, with up to a
// quarter of jitter so receipts delivered together spread out.
func (u *Uploader) statusInterval(checks int) time.Duration {
	first, hi := u.StatusFirst, u.StatusMax
	if first <= 0 {
		first = DefaultStatusFirst
	}
	if hi <= 0 {
		hi = DefaultStatusMax
	}
	d := first
	for range max(checks, 0) {
		if d >= hi/2 {
			d = hi
			break
		}
		d *= 2
	}
	d = min(d, hi)
	return d - rand.N(d/4+1)
}

func (u *Uploader) statusWindow() time.Duration {
	if u.StatusWindow > 0 {
		return u.StatusWindow
	}
	return DefaultStatusWindow
}

func (u *Uploader) signalCheck() {
	select {
	case u.checkWake <- struct{}{}:
	default:
	}
}
