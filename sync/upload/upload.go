package upload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptrace"
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
	// DefaultParallel: the service fsyncs every profile before it answers,
	// so a few PUTs in flight keep the link busy while it does; more
	// mostly add memory (one envelope each) and load on the service.
	DefaultParallel = 4
)

// Failpoints the uploader calls Uploader.Failpoint at, for crash tests.
const (
	// FailpointAfterSend: the request has been written to the
	// connection; the service's answer has not been read.
	FailpointAfterSend = "after-send-before-answer"
	// FailpointAfter2xx: the service confirmed the store; the outbox
	// still holds the profile.
	FailpointAfter2xx = "after-2xx-before-delete"
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
	// Parallel bounds the PUTs in flight, and with them the envelopes in
	// memory; zero means DefaultParallel.
	Parallel int
	// Now is the clock for next-attempt times; nil means time.Now.
	Now func() time.Time
	// Classify says whether an error from Client is worth retrying, and
	// after how long the server asked; nil means client.Retryable.
	Classify func(error) (retry bool, after time.Duration)
	// Status, when set, is asked for the review outcome of delivered
	// profiles (see StatusPolicy); nil disables polling.
	Status StatusChecker
	StatusPolicy
	// Failpoint, when set, is called at the Failpoint* points.
	Failpoint func(name string)

	running atomic.Bool
	// probe is set at start and after every retryable failure: the next
	// pass sends one profile at a time until one gets through, so a
	// service that is down is probed by one PUT, not Parallel of them.
	probe atomic.Bool
	// checkWake tells the status poller a new receipt may be due.
	checkWake chan struct{}

	mu    sync.Mutex
	stats Stats
}

// Stats counts what the uploader did since it started. The counters only
// grow, so they can be exported as metrics counters as they are.
type Stats struct {
	Attempts    int // PUTs started
	Delivered   int // acknowledged by the service and acked in the outbox
	Retries     int // retryable failures, deferred
	Dead        int // permanent failures, dead-lettered
	InFlight    int // PUTs under way now
	LastError   string
	LastErrorAt time.Time
	LastSuccess time.Time
	// LastDead is the reason of the latest dead letter, for the alert.
	LastDead    string
	LastDeadAt  time.Time
	PausedUntil time.Time // zero when not paused
	Compactions int       // outbox files rewritten
	StatusPolls int       // review status requests answered
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
	u.probe.Store(true)
	u.checkWake = make(chan struct{}, 1)

	if u.Status != nil {
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			u.pollStatus(ctx)
		}()
		defer func() { cancel(); <-done }()
	}

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait, err := u.pass(ctx)
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
		if wait == 0 {
			continue
		}
		var tick <-chan time.Time
		if wait > 0 {
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

// pass hands due profiles, in queue order, to at most Parallel concurrent
// PUTs, each started only once the one before it is on the wire (its
// headers written), so the service receives them in queue order; only
// their answers may come back in another order. It stops dispatching at
// the first profile that is not due (the queue is delivered in order, so a
// deferred profile holds back the ones behind it), at the end of the
// queue, after a retryable failure, or when ctx ends; it returns once
// every PUT it started has finished. The result is how long to wait before
// the next pass: 0 for at once, -1 for "nothing is queued, wait for a
// Put".
//
// Memory: the next envelope is read only once a worker is free, so at most
// Parallel envelopes are held, whatever the size of the backlog.
func (u *Uploader) pass(ctx context.Context) (time.Duration, error) {
	slots := make(chan struct{}, u.parallel())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var stop bool
	var failed error
	finish := func(stopNow bool, err error) {
		mu.Lock()
		defer mu.Unlock()
		stop = stop || stopNow || err != nil
		if failed == nil {
			failed = err
		}
	}
	stopped := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return stop
	}

	var after uint64
	prev := make(chan struct{}) // closed once the previous PUT is on the wire
	close(prev)
	for ctx.Err() == nil && !stopped() {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		it, ok, err := u.Outbox.Next(after, u.now())
		if err != nil || !ok || it.Sealed == nil {
			<-slots
			finish(true, err)
			break
		}
		after = it.Seq
		if u.probe.Load() {
			stopNow, err := u.send(ctx, it, nil)
			<-slots
			finish(stopNow, err)
			continue
		}
		wait, started := prev, make(chan struct{})
		prev = started
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			<-wait
			finish(u.send(ctx, it, started))
		}()
	}
	wg.Wait()
	if failed != nil || ctx.Err() != nil {
		return 0, failed
	}
	return u.idle()
}

// idle decides what to wait for after a pass: the head of the queue
// becoming due, or the next Put when the queue is empty.
func (u *Uploader) idle() (time.Duration, error) {
	now := u.now()
	heads, err := u.Outbox.Queued(0, 1) // no envelope copied
	if err != nil {
		return 0, err
	}
	if len(heads) == 0 {
		u.record(func(s *Stats) { s.PausedUntil = time.Time{} })
		u.compact()
		return -1, nil
	}
	head := heads[0]
	if !head.NextAttempt.After(now) {
		u.record(func(s *Stats) { s.PausedUntil = time.Time{} })
		return 0, nil
	}
	u.record(func(s *Stats) { s.PausedUntil = head.NextAttempt })
	return max(head.NextAttempt.Sub(now), time.Millisecond), nil
}

// compact gives the outbox the chance to shrink its file now that nothing
// is queued; it decides whether that is worth it.
func (u *Uploader) compact() {
	done, err := u.Outbox.Compact()
	if err != nil {
		u.log().Warn("outbox compaction failed; the file is unchanged or complete", "err", err)
		return
	}
	if done {
		u.record(func(s *Stats) { s.Compactions++ })
		u.log().Info("outbox compacted")
	}
}

// send makes one delivery attempt and records its outcome in the outbox.
// stop is true when the pass must end: a deferral paused the queue, or ctx
// was cancelled. started, when not nil, is closed once the request's
// headers are written (or the attempt is over, whichever comes first).
func (u *Uploader) send(ctx context.Context, it outbox.Item, started chan struct{}) (stop bool, err error) {
	log := u.log().With("profile", it.ID, "attempt", it.Attempts+1)
	u.record(func(s *Stats) { s.Attempts++; s.InFlight++ })
	defer u.record(func(s *Stats) { s.InFlight-- })
	var once sync.Once
	onWire := func() {
		if started != nil {
			once.Do(func() { close(started) })
		}
	}
	defer onWire()
	res, putErr := u.Client.PutProfile(u.traced(ctx, onWire), it.ID, it.Sealed)
	if putErr == nil {
		u.failpoint(FailpointAfter2xx)
		now := u.now()
		r := outbox.Receipt{Delivered: now, Digest: res.Digest}
		if u.Status != nil {
			r.NextCheck = now.Add(u.statusInterval(0))
		}
		if err := u.Outbox.Ack(it.ID, r); err != nil {
			// Delivered but not recorded: it is resent later and the
			// service answers with a replay, so nothing is lost.
			return true, err
		}
		u.probe.Store(false)
		u.record(func(s *Stats) { s.Delivered++; s.LastSuccess = now })
		u.signalCheck()
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
		u.record(func(s *Stats) { s.Dead++; s.LastDead, s.LastDeadAt = reason, now })
		log.Warn("profile dead-lettered", "reason", reason)
		return false, nil
	}

	next := now.Add(u.backoff(it.Attempts, after))
	if err := u.Outbox.Defer(it.ID, next, reason); err != nil {
		return true, err
	}
	u.probe.Store(true)
	u.record(func(s *Stats) { s.Retries++; s.PausedUntil = next })
	log.Info("delivery deferred", "next", next, "err", reason)
	return true, nil
}

// traced reports the request's progress: onWire once its headers are
// written, and the after-send failpoint once all of it is. A Putter that
// is not HTTP may call the trace's WroteHeaders itself; one that does not
// gets its PUTs started one after the other.
func (u *Uploader) traced(ctx context.Context, onWire func()) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaders: onWire,
		WroteRequest: func(httptrace.WroteRequestInfo) { u.failpoint(FailpointAfterSend) },
	})
}

func (u *Uploader) failpoint(name string) {
	if u.Failpoint != nil {
		u.Failpoint(name)
	}
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

func (u *Uploader) parallel() int {
	if u.Parallel > 0 {
		return u.Parallel
	}
	return DefaultParallel
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
