package upload

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptrace"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/client"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

const learnerName = "Ingrid Øvrebø-Marker"

// fakeService is a scripted Putter that behaves like the service's store:
// it keeps what it accepted and counts stores per id, so a test can check
// "delivered exactly once".
type fakeService struct {
	mu     sync.Mutex
	script func(call int, id string) error // nil error: store it
	calls  []string                        // ids, in call order
	stored map[string]int                  // id -> times stored
	order  []string                        // ids in the order first stored
	event  chan string                     // every call's id, for tests to wait on
}

func newFakeService(script func(call int, id string) error) *fakeService {
	return &fakeService{script: script, stored: map[string]int{}, event: make(chan string, 100)}
}

func (f *fakeService) PutProfile(ctx context.Context, id string, env []byte) (api.StoreResult, error) {
	f.mu.Lock()
	call := len(f.calls)
	f.calls = append(f.calls, id)
	f.mu.Unlock()
	err := f.script(call, id)
	if err == nil {
		f.mu.Lock()
		if f.stored[id] == 0 {
			f.order = append(f.order, id)
		}
		f.stored[id]++
		f.mu.Unlock()
	}
	arrived(ctx)
	f.event <- id
	if err != nil {
		return api.StoreResult{}, err
	}
	return api.StoreResult{ID: id, Received: time.Now(), Digest: api.ContentDigest(env)}, nil
}

func (f *fakeService) snapshot() (calls, order []string, stored map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls), slices.Clone(f.order), func() map[string]int {
		m := map[string]int{}
		for k, v := range f.stored {
			m[k] = v
		}
		return m
	}()
}

// waitCalls blocks until the fake has seen n more calls.
func (f *fakeService) waitCalls(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(time.Minute) // a hang guard, not a timing assertion
	for range n {
		select {
		case <-f.event:
		case <-deadline:
			calls, _, _ := f.snapshot()
			t.Fatalf("timed out waiting for calls; got %d so far", len(calls))
		}
	}
}

// arrived tells the uploader the request reached the service, as an HTTP
// client's trace would once the headers are written; the uploader starts
// the next PUT only then.
func arrived(ctx context.Context) {
	if tr := httptrace.ContextClientTrace(ctx); tr != nil && tr.WroteHeaders != nil {
		tr.WroteHeaders()
	}
}

var errDown = errors.New("dial tcp 10.0.0.1:443: connect: connection refused")

func status(code int, after time.Duration) error {
	return &client.StatusError{Code: code, Problem: api.Problem{Title: "test", Status: code}, RetryAfter: after}
}

// queue opens an outbox in a temp dir and puts n sealed profiles in it.
// now is the outbox's clock (nil: real time); it must match the uploader's
// when a test fakes time, or nothing is ever due.
func queue(t *testing.T, path string, n int, now func() time.Time) (*outbox.Outbox, []string) {
	t.Helper()
	o, err := outbox.Open(path, outbox.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	k, err := envelope.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range n {
		p := &api.Profile{
			ID: uuid.NewString(), DeviceID: "kiosk-upload-test", Created: time.Now(), Language: "nb",
			Email: "ingrid@example.org", FullName: learnerName, IDType: api.IDPassport,
			Photos: []api.Photo{
				{Kind: api.PhotoFace, Width: 2, Height: 2, JPEG: []byte{0xff, 0xd8, 1, 0xff, 0xd9}},
				{Kind: api.PhotoIDPhotoSide, Width: 2, Height: 2, JPEG: []byte{0xff, 0xd8, 2, 0xff, 0xd9}},
			},
		}
		env, err := envelope.Seal(k.Public(), p)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Put(context.Background(), outbox.NewItem{ID: p.ID, Created: p.Created, Sealed: env}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	return o, ids
}

func testPath(t *testing.T) string { return filepath.Join(t.TempDir(), "q", "outbox.db") }

// start runs u until the test ends, and returns a stop function that
// cancels it and waits for Run to return.
func start(t *testing.T, u *Uploader) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func mustStats(t *testing.T, o *outbox.Outbox) outbox.Stats {
	t.Helper()
	s, err := o.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRun_ServiceDownThenUp_AllDeliveredInOrderExactlyOnce(t *testing.T) {
	o, ids := queue(t, testPath(t), 3, nil)
	const failures = 4
	svc := newFakeService(func(call int, id string) error {
		if call < failures {
			return errDown
		}
		return nil
	})
	u := &Uploader{Outbox: o, Client: svc, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}
	stop := start(t, u)
	svc.waitCalls(t, failures+len(ids))
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	calls, order, stored := svc.snapshot()
	if !slices.Equal(order, ids) {
		t.Errorf("stored in order %q, want %q", order, ids)
	}
	for _, id := range ids {
		if stored[id] != 1 {
			t.Errorf("profile %s stored %d times, want exactly once", id, stored[id])
		}
	}
	// While the service was down only the oldest profile probed it.
	for i, id := range calls[:failures] {
		if id != ids[0] {
			t.Errorf("call %d during the outage sent %s, want the oldest %s", i, id, ids[0])
		}
	}
	if st := mustStats(t, o); st.Queued != 0 || st.Delivered != 3 || st.QueuedBytes != 0 {
		t.Errorf("outbox Stats = %+v, want 0 queued, 3 delivered", st)
	}
	r, ok, err := o.Receipt(ids[0])
	if err != nil || !ok || r.Attempts != failures+1 || !strings.HasPrefix(r.Digest, "sha-256=:") {
		t.Errorf("receipt of the first profile = %+v, %v, %v; want %d attempts and a digest", r, ok, err, failures+1)
	}
	if s := u.Stats(); s.Delivered != 3 || s.Retries != failures || s.Attempts != failures+3 || s.LastSuccess.IsZero() {
		t.Errorf("uploader Stats = %+v, want 3 delivered, %d retries, %d attempts", s, failures, failures+3)
	}
}

func TestRun_PermanentErrorDeadLetters(t *testing.T) {
	o, ids := queue(t, testPath(t), 3, nil)
	svc := newFakeService(func(call int, id string) error {
		if id == ids[1] {
			return status(422, 0)
		}
		return nil
	})
	var logs bytes.Buffer
	u := &Uploader{
		Outbox: o, Client: svc, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		Log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	stop := start(t, u)
	svc.waitCalls(t, 3)
	stop()

	_, order, _ := svc.snapshot()
	if want := []string{ids[0], ids[2]}; !slices.Equal(order, want) {
		t.Errorf("stored %q, want %q", order, want)
	}
	dead, err := o.DeadLetters()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].ID != ids[1] || !strings.Contains(dead[0].Reason, "422") {
		t.Errorf("DeadLetters = %+v, want %s with a 422 reason", dead, ids[1])
	}
	if st := mustStats(t, o); st.Queued != 0 || st.Dead != 1 || st.Delivered != 2 {
		t.Errorf("outbox Stats = %+v, want 0 queued, 1 dead, 2 delivered", st)
	}
	out := logs.String()
	if !strings.Contains(out, `"level":"WARN","msg":"profile dead-lettered"`) || !strings.Contains(out, ids[1]) {
		t.Errorf("log has no warning naming the dead profile:\n%s", out)
	}
	for _, personal := range []string{learnerName, "ingrid@example.org"} {
		if strings.Contains(out, personal) {
			t.Errorf("log contains personal data %q", personal)
		}
	}
}

func TestRun_CancelMidPut_ItemStaysQueued(t *testing.T) {
	o, ids := queue(t, testPath(t), 1, nil)
	inPut := make(chan struct{})
	svc := &blockingPutter{started: inPut}
	u := &Uploader{Outbox: o, Client: svc}
	stop := start(t, u)
	<-inPut
	if err := stop(); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}

	items, err := o.Due(time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ID != ids[0] || items[0].Attempts != 0 {
		t.Errorf("after cancel mid-PUT Due = %+v, want %s still queued, 0 attempts", items, ids[0])
	}
	if s := u.Stats(); s.Dead != 0 || s.Retries != 0 || s.Delivered != 0 {
		t.Errorf("uploader Stats = %+v, want no outcome recorded", s)
	}
}

// blockingPutter holds every PUT until its context ends, like a service
// that never answers.
type blockingPutter struct{ started chan struct{} }

func (b *blockingPutter) PutProfile(ctx context.Context, id string, env []byte) (api.StoreResult, error) {
	close(b.started)
	<-ctx.Done()
	return api.StoreResult{}, ctx.Err()
}

func TestRun_NextAttemptSurvivesReopen(t *testing.T) {
	path := testPath(t)
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	o, ids := queue(t, path, 1, func() time.Time { return now })
	svc := newFakeService(func(int, string) error { return status(503, 0) })
	u := &Uploader{Outbox: o, Client: svc, MinBackoff: time.Hour, MaxBackoff: 4 * time.Hour, Now: func() time.Time { return now }}
	stop := start(t, u)
	svc.waitCalls(t, 1)
	waitFor(t, "the deferral to be recorded", func() bool { return u.Stats().Retries >= 1 })
	stop()
	o.Close()

	o2, err := outbox.Open(path, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	next, ok, err := o2.NextDue()
	// Equal jitter on a 1 h first backoff: between 30 and 60 minutes.
	if err != nil || !ok || next.Before(now.Add(30*time.Minute)) || next.After(now.Add(time.Hour)) {
		t.Errorf("after reopen NextDue = %v, %v, %v; want 30-60 min after %v", next, ok, err, now)
	}
	if due, _ := o2.Due(now, 0); len(due) != 0 {
		t.Errorf("after reopen Due(now) = %d items, want none before the stored next attempt", len(due))
	}
	items, _ := o2.Due(now.Add(2*time.Hour), 0)
	if len(items) != 1 || items[0].ID != ids[0] || items[0].Attempts != 1 || !strings.Contains(items[0].LastError, "503") {
		t.Errorf("after reopen item = %+v, want 1 attempt, last error 503", items)
	}
}

// waitFor polls cond until it holds; the deadline only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRun_RetryAfterCappedAndUnauthorizedHolds(t *testing.T) {
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"429 asking for 10 h", status(429, 10*time.Hour)},
		{"401 bad token", status(401, 0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, ids := queue(t, testPath(t), 2, func() time.Time { return now })
			svc := newFakeService(func(int, string) error { return tt.err })
			u := &Uploader{Outbox: o, Client: svc, MinBackoff: time.Second, MaxBackoff: time.Hour, Now: func() time.Time { return now }}
			stop := start(t, u)
			svc.waitCalls(t, 1)
			waitFor(t, "the deferral", func() bool { return u.Stats().Retries >= 1 })
			stop()

			next, _, _ := o.NextDue()
			items, _ := o.Due(now.Add(2*time.Hour), 0)
			if len(items) != 2 || items[0].ID != ids[0] || !items[0].NextAttempt.Equal(now.Add(time.Hour)) {
				t.Fatalf("queue = %+v, want both still queued, the first due at MaxBackoff %v", items, now.Add(time.Hour))
			}
			if !next.Equal(now) {
				t.Errorf("NextDue = %v, want the untried second item (%v)", next, now)
			}
			if st := mustStats(t, o); st.Dead != 0 {
				t.Errorf("%d dead-lettered, want none", st.Dead)
			}
			if calls, _, _ := svc.snapshot(); len(calls) != 1 {
				t.Errorf("%d calls, want 1: the queue pauses after a retryable failure", len(calls))
			}
			if s := u.Stats(); !s.PausedUntil.Equal(now.Add(time.Hour)) || !strings.Contains(s.LastError, tt.err.Error()) {
				t.Errorf("Stats = %+v, want paused until %v with the last error", s, now.Add(time.Hour))
			}
		})
	}
}

func TestRun_WakesOnPut(t *testing.T) {
	path := testPath(t)
	o, _ := queue(t, path, 0, nil)
	svc := newFakeService(func(int, string) error { return nil })
	u := &Uploader{Outbox: o, Client: svc}
	start(t, u)

	// A second outbox handle cannot be opened (the file is locked), so put
	// through the same one the uploader watches.
	k, _ := envelope.GenerateKey()
	p := &api.Profile{ID: uuid.NewString(), DeviceID: "d", Email: "e@example.org", FullName: "n", IDType: api.IDOther,
		Photos: []api.Photo{
			{Kind: api.PhotoFace, Width: 1, Height: 1, JPEG: []byte{1}},
			{Kind: api.PhotoIDPhotoSide, Width: 1, Height: 1, JPEG: []byte{2}},
		}}
	env, err := envelope.Seal(k.Public(), p)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Put(context.Background(), outbox.NewItem{ID: p.ID, Sealed: env}); err != nil {
		t.Fatal(err)
	}
	svc.waitCalls(t, 1)
	waitFor(t, "the ack", func() bool { return u.Stats().Delivered == 1 })
}

// Staff pressing "sync now" ends a long pause at once.
func TestRun_RetryNowEndsPause(t *testing.T) {
	o, ids := queue(t, testPath(t), 1, nil)
	svc := newFakeService(func(call int, id string) error {
		if call == 0 {
			return status(503, 0)
		}
		return nil
	})
	u := &Uploader{Outbox: o, Client: svc, MinBackoff: time.Hour, MaxBackoff: 2 * time.Hour}
	start(t, u)
	svc.waitCalls(t, 1)
	waitFor(t, "the pause", func() bool { return !u.Stats().PausedUntil.IsZero() })
	if err := o.RetryNow(); err != nil {
		t.Fatal(err)
	}
	svc.waitCalls(t, 1)
	waitFor(t, "the delivery", func() bool { return u.Stats().Delivered == 1 })
	if _, ok, _ := o.Receipt(ids[0]); !ok {
		t.Errorf("no receipt for %s after RetryNow", ids[0])
	}
}

func TestRun_Misuse(t *testing.T) {
	if err := (&Uploader{}).Run(context.Background()); err == nil {
		t.Error("Run without Outbox and Client: err = nil, want an error")
	}
	o, _ := queue(t, testPath(t), 0, nil)
	u := &Uploader{Outbox: o, Client: newFakeService(func(int, string) error { return nil })}
	start(t, u)
	waitFor(t, "Run to start", u.running.Load)
	if err := u.Run(context.Background()); err == nil {
		t.Error("second concurrent Run: err = nil, want an error")
	}
}

func TestBackoff(t *testing.T) {
	u := &Uploader{MinBackoff: time.Second, MaxBackoff: time.Minute}
	for _, tt := range []struct {
		attempts int
		after    time.Duration
		lo, hi   time.Duration
	}{
		{0, 0, 500 * time.Millisecond, time.Second},
		{1, 0, time.Second, 2 * time.Second},
		{3, 0, 4 * time.Second, 8 * time.Second},
		{10, 0, 30 * time.Second, time.Minute},
		{1000, 0, 30 * time.Second, time.Minute},
		{0, 20 * time.Second, 20 * time.Second, 20 * time.Second},
		{0, time.Hour, time.Minute, time.Minute},
	} {
		for range 100 {
			if d := u.backoff(tt.attempts, tt.after); d < tt.lo || d > tt.hi {
				t.Fatalf("backoff(%d, %v) = %v, want within [%v, %v]", tt.attempts, tt.after, d, tt.lo, tt.hi)
			}
		}
	}
}
