package upload

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/client"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// gatedService holds every PUT until the test releases it, and records
// how many were in flight at once.
type gatedService struct {
	release chan struct{}
	started chan string

	mu       sync.Mutex
	inFlight int
	maxIn    int
	order    []string
	stored   map[string]int
}

func newGatedService() *gatedService {
	return &gatedService{release: make(chan struct{}), started: make(chan string, 1000), stored: map[string]int{}}
}

func (g *gatedService) PutProfile(ctx context.Context, id string, env []byte) (api.StoreResult, error) {
	g.mu.Lock()
	g.inFlight++
	g.maxIn = max(g.maxIn, g.inFlight)
	g.order = append(g.order, id)
	g.mu.Unlock()
	arrived(ctx)
	g.started <- id
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	select {
	case <-g.release:
	case <-ctx.Done():
		return api.StoreResult{}, ctx.Err()
	}
	g.mu.Lock()
	g.stored[id]++
	g.mu.Unlock()
	return api.StoreResult{ID: id, Digest: api.ContentDigest(env)}, nil
}

func (g *gatedService) inflight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inFlight
}

// fakeItems queues n profiles whose envelopes are size random bytes under
// a valid header: the uploader never opens them, so no sealing is needed.
func fakeItems(t *testing.T, o *outbox.Outbox, n, size int) []string {
	t.Helper()
	var ids []string
	for range n {
		id := uuid.NewString()
		hdr, _ := json.Marshal(envelope.Header{Version: envelope.Version, ProfileID: id, DeviceID: "d", KeyID: "k", Suite: envelope.DefaultSuite})
		env := append([]byte{'I', 'D', 'K', 'E', envelope.Version, byte(len(hdr) >> 8), byte(len(hdr))}, hdr...)
		body := make([]byte, size)
		rand.Read(body)
		if err := o.Put(context.Background(), outbox.NewItem{ID: id, Sealed: append(env, body...)}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestRun_ParallelDrain_BoundedInOrderOnce: a backlog of 12 goes out with
// at most Parallel PUTs in flight, dispatched in queue order, each stored
// once. The first PUT goes alone (a probe); only its success opens the
// window.
func TestRun_ParallelDrain_BoundedInOrderOnce(t *testing.T) {
	o, _ := queue(t, testPath(t), 0, nil)
	ids := fakeItems(t, o, 12, 1000)
	svc := newGatedService()
	const parallel = 3
	u := &Uploader{Outbox: o, Client: svc, Parallel: parallel}
	start(t, u)

	<-svc.started
	if n := svc.inflight(); n != 1 {
		t.Fatalf("%d PUTs in flight before the probe answered, want 1", n)
	}
	svc.release <- struct{}{}
	waitFor(t, "the window to open to Parallel", func() bool { return svc.inflight() == parallel })
	close(svc.release)
	waitFor(t, "the backlog to drain", func() bool { return u.Stats().Delivered == len(ids) })

	svc.mu.Lock()
	defer svc.mu.Unlock()
	if svc.maxIn != parallel {
		t.Errorf("at most %d PUTs in flight, want exactly Parallel = %d", svc.maxIn, parallel)
	}
	if !slices.Equal(svc.order, ids) {
		t.Errorf("dispatch order %q, want queue order %q", svc.order, ids)
	}
	for _, id := range ids {
		if svc.stored[id] != 1 {
			t.Errorf("profile %s stored %d times, want once", id, svc.stored[id])
		}
	}
}

// A deferral is durable for the whole queue: an uploader started after a
// restart sends nothing before the head's next attempt, although the
// profiles behind it were never tried.
func TestRun_DeferredHeadHoldsQueueAcrossRestart(t *testing.T) {
	path := testPath(t)
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	o, ids := queue(t, path, 3, clock)
	down := newFakeService(func(int, string) error { return status(503, 0) })
	u := &Uploader{Outbox: o, Client: down, MinBackoff: time.Hour, MaxBackoff: 2 * time.Hour, Now: clock}
	stop := start(t, u)
	down.waitCalls(t, 1)
	waitFor(t, "the deferral", func() bool { return u.Stats().Retries == 1 })
	stop()
	o.Close()

	o2, err := outbox.Open(path, outbox.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	up := newFakeService(func(int, string) error { return nil })
	u2 := &Uploader{Outbox: o2, Client: up, MinBackoff: time.Hour, MaxBackoff: 2 * time.Hour, Now: clock}
	start(t, u2)
	waitFor(t, "the restarted uploader to pause", func() bool { return !u2.Stats().PausedUntil.IsZero() })
	head, _, _ := o2.Next(0, now)
	if calls, _, _ := up.snapshot(); len(calls) != 0 {
		t.Errorf("after restart %d PUTs before the head's next attempt, want 0", len(calls))
	}
	if head.ID != ids[0] || !u2.Stats().PausedUntil.Equal(head.NextAttempt) {
		t.Errorf("paused until %v, want the head %s's next attempt %v", u2.Stats().PausedUntil, ids[0], head.NextAttempt)
	}
}

// statusService answers PUTs and status polls from a script of review
// states per poll.
type statusService struct {
	*fakeService
	mu     sync.Mutex
	polls  map[string]int
	states []api.ReviewState
}

const rejectionReason = "REASON-MARKER: the name on the ID is Ingrid Øvrebø"

func (s *statusService) Status(ctx context.Context, id string) (api.ProfileStatus, error) {
	s.mu.Lock()
	n := s.polls[id]
	s.polls[id]++
	s.mu.Unlock()
	st := api.ProfileStatus{ID: id, State: s.states[min(n, len(s.states)-1)], Updated: time.Now()}
	if st.State == api.StateRejected {
		st.Reason = rejectionReason
	}
	return st, nil
}

// The uploader polls review outcomes until they are final and keeps the
// state in the receipt, never the reviewer's free text.
func TestRun_PollsReviewStatusIntoReceipt(t *testing.T) {
	path := testPath(t)
	o, ids := queue(t, path, 2, nil)
	svc := &statusService{
		fakeService: newFakeService(func(int, string) error { return nil }),
		polls:       map[string]int{},
		states:      []api.ReviewState{api.StatePendingReview, api.StatePendingReview, api.StateRejected},
	}
	u := &Uploader{Outbox: o, Client: svc, Status: svc,
		StatusPolicy: StatusPolicy{StatusFirst: time.Millisecond, StatusMax: 4 * time.Millisecond, StatusWindow: time.Hour}}
	stop := start(t, u)
	waitFor(t, "both reviews to be final", func() bool {
		for _, id := range ids {
			r, _, _ := o.Receipt(id)
			if r.Review != string(api.StateRejected) {
				return false
			}
		}
		return true
	})
	stop()
	for _, id := range ids {
		r, _, _ := o.Receipt(id)
		if r.Checks != 3 || !r.NextCheck.IsZero() {
			t.Errorf("receipt %s: %d checks, next %v; want 3 and no more polling", id, r.Checks, r.NextCheck)
		}
	}
	if u.Stats().StatusPolls != 6 {
		t.Errorf("StatusPolls = %d, want 6", u.Stats().StatusPolls)
	}
	o.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("REASON-MARKER")) {
		t.Error("the reviewer's free-text reason was written to the kiosk's disk")
	}
}

// Polling stops at the window even when the review never ends.
func TestRun_StatusPollingStopsAfterWindow(t *testing.T) {
	o, ids := queue(t, testPath(t), 1, nil)
	svc := &statusService{
		fakeService: newFakeService(func(int, string) error { return nil }),
		polls:       map[string]int{},
		states:      []api.ReviewState{api.StatePendingReview},
	}
	u := &Uploader{Outbox: o, Client: svc, Status: svc,
		StatusPolicy: StatusPolicy{StatusFirst: time.Millisecond, StatusMax: 2 * time.Millisecond, StatusWindow: 20 * time.Millisecond}}
	start(t, u)
	waitFor(t, "polling to stop", func() bool {
		r, _, _ := o.Receipt(ids[0])
		return r.Checks > 0 && r.NextCheck.IsZero()
	})
	r, _, _ := o.Receipt(ids[0])
	if r.Review != string(api.StatePendingReview) {
		t.Errorf("receipt = %+v, want the last state seen, pending_review", r)
	}
}

// The failpoints fire in the order a delivery reaches them, through a real
// HTTP client (the after-send point hangs off its connection trace).
func TestRun_Failpoints(t *testing.T) {
	o, ids := queue(t, testPath(t), 1, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(api.StoreResult{ID: ids[0], Digest: r.Header.Get(api.HeaderContentDigest)})
	}))
	defer srv.Close()
	cli, err := client.New(client.Options{BaseURL: srv.URL, DeviceID: "d", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var hits []string
	u := &Uploader{Outbox: o, Client: cli, Failpoint: func(name string) {
		mu.Lock()
		defer mu.Unlock()
		hits = append(hits, name)
		if name == FailpointAfter2xx {
			if _, ok, _ := o.Receipt(ids[0]); ok {
				t.Error("at after-2xx-before-delete the profile is already acked")
			}
		}
	}}
	start(t, u)
	waitFor(t, "the delivery", func() bool { return u.Stats().Delivered == 1 })
	mu.Lock()
	defer mu.Unlock()
	if want := []string{FailpointAfterSend, FailpointAfter2xx}; !slices.Equal(hits, want) {
		t.Errorf("failpoints reached %q, want %q", hits, want)
	}
}

// Once a backlog has drained, the grown file is compacted.
func TestRun_CompactsWhenDrained(t *testing.T) {
	path := testPath(t)
	o, err := outbox.Open(path, outbox.Options{CompactMinBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ids := fakeItems(t, o, 30, 100<<10)
	grown, _ := o.FileBytes()
	u := &Uploader{Outbox: o, Client: newFakeService(func(int, string) error { return nil })}
	start(t, u)
	waitFor(t, "the drain and a compaction", func() bool { s := u.Stats(); return s.Delivered == len(ids) && s.Compactions == 1 })
	if size, _ := o.FileBytes(); size > grown/4 {
		t.Errorf("file is %d bytes after compaction, was %d; want below a quarter", size, grown)
	}
	for _, id := range ids {
		if _, ok, _ := o.Receipt(id); !ok {
			t.Fatalf("receipt %s lost", id)
		}
	}
}
