package outbox

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestPut_SurvivesCloseAndOpen(t *testing.T) {
	s := newSealer(t)
	path := testPath(t)
	o := openTest(t, path, Options{})
	want := []NewItem{s.item(), s.item(), s.item()}
	put(t, o, want...)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	o = openTest(t, path, Options{})
	got := mustDue(t, o, t0, 0)
	if !slices.Equal(itemIDs(got), newIDs(want)) {
		t.Fatalf("after reopen Due = %q, want %q", itemIDs(got), newIDs(want))
	}
	var size int64
	for i, it := range got {
		if !bytes.Equal(it.Sealed, want[i].Sealed) {
			t.Errorf("item %s: sealed bytes changed across reopen", it.ID)
		}
		if !it.Created.Equal(want[i].Created) || it.Attempts != 0 || !it.NextAttempt.Equal(t0) {
			t.Errorf("item %s: created %v attempts %d next %v, want %v 0 %v", it.ID, it.Created, it.Attempts, it.NextAttempt, want[i].Created, t0)
		}
		if i > 0 && it.Seq <= got[i-1].Seq {
			t.Errorf("Seq %d after %d, want increasing", it.Seq, got[i-1].Seq)
		}
		size += int64(len(want[i].Sealed))
	}
	st := mustStats(t, o)
	if st.Queued != 3 || st.QueuedBytes != size || !st.Oldest.Equal(t0) {
		t.Errorf("Stats = %+v, want 3 queued, %d bytes, oldest %v", st, size, t0)
	}
}

func TestDue_HonoursNextAttemptAndOrder(t *testing.T) {
	s := newSealer(t)
	o := openTest(t, testPath(t), Options{})
	a, b, c := s.item(), s.item(), s.item()
	put(t, o, a, b, c)
	if err := o.Defer(b.ID, t0.Add(time.Hour), "503 Service Unavailable"); err != nil {
		t.Fatal(err)
	}
	if err := o.Defer(a.ID, t0.Add(2*time.Hour), "dial tcp: connection refused"); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name string
		now  time.Time
		max  int
		want []string
	}{
		{"only c is due", t0, 0, []string{c.ID}},
		{"b becomes due", t0.Add(time.Hour), 0, []string{b.ID, c.ID}},
		{"all due, insertion order", t0.Add(3 * time.Hour), 0, []string{a.ID, b.ID, c.ID}},
		{"max 2", t0.Add(3 * time.Hour), 2, []string{a.ID, b.ID}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := itemIDs(mustDue(t, o, tt.now, tt.max)); !slices.Equal(got, tt.want) {
				t.Errorf("Due(%v, %d) = %q, want %q", tt.now, tt.max, got, tt.want)
			}
		})
	}

	next, ok, err := o.NextDue()
	if err != nil || !ok || !next.Equal(t0) {
		t.Errorf("NextDue = %v, %v, %v; want %v (c)", next, ok, err, t0)
	}
	items := mustDue(t, o, t0.Add(3*time.Hour), 1)
	if items[0].Attempts != 1 || items[0].LastError != "dial tcp: connection refused" {
		t.Errorf("a: attempts %d last error %q, want 1 and the deferred error", items[0].Attempts, items[0].LastError)
	}
}

func TestNextDue_Empty(t *testing.T) {
	o := openTest(t, testPath(t), Options{})
	if _, ok, err := o.NextDue(); ok || err != nil {
		t.Errorf("NextDue on an empty outbox = ok %v err %v, want false, nil", ok, err)
	}
}

// Items handed out must stay valid after the transaction that read them,
// even once their pages are freed and reused.
func TestDue_ValuesOutliveTransaction(t *testing.T) {
	s := newSealer(t)
	o := openTest(t, testPath(t), Options{})
	want := []NewItem{s.item(), s.item()}
	put(t, o, want...)
	got := mustDue(t, o, t0, 0)
	for _, it := range got {
		if err := o.Ack(it.ID, Receipt{Digest: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		put(t, o, s.item())
	}
	for i, it := range got {
		if !bytes.Equal(it.Sealed, want[i].Sealed) || it.ID != want[i].ID {
			t.Errorf("item %d changed after its pages were reused", i)
		}
	}
}

func TestDefer_SurvivesReopen(t *testing.T) {
	s := newSealer(t)
	path := testPath(t)
	o := openTest(t, path, Options{})
	it := s.item()
	put(t, o, it)
	next := t0.Add(90 * time.Minute)
	if err := o.Defer(it.ID, next, "429 Too Many Requests"); err != nil {
		t.Fatal(err)
	}
	o.Close()

	o = openTest(t, path, Options{})
	if due := mustDue(t, o, t0.Add(time.Hour), 0); len(due) != 0 {
		t.Errorf("after reopen, Due before the deferred time = %q, want none", itemIDs(due))
	}
	got, ok, err := o.NextDue()
	if err != nil || !ok || !got.Equal(next) {
		t.Errorf("after reopen NextDue = %v %v %v, want %v", got, ok, err, next)
	}
}

func TestAck_DeletesBlobKeepsReceipt(t *testing.T) {
	s := newSealer(t)
	path := testPath(t)
	o := openTest(t, path, Options{})
	a, b := s.item(), s.item()
	put(t, o, a, b)
	if err := o.Defer(a.ID, t0, "timeout"); err != nil {
		t.Fatal(err)
	}
	delivered := t0.Add(time.Minute)
	if err := o.Ack(a.ID, Receipt{Delivered: delivered, Digest: "sha-256=:abc=:"}); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if err := o.Ack(a.ID, Receipt{Digest: "other"}); err != nil {
		t.Errorf("second Ack of a delivered id: %v, want nil (a no-op)", err)
	}
	o.Close()
	o = openTest(t, path, Options{})

	if got := itemIDs(mustDue(t, o, t0.Add(time.Hour), 0)); !slices.Equal(got, []string{b.ID}) {
		t.Errorf("Due after Ack = %q, want only %s", got, b.ID)
	}
	r, ok, err := o.Receipt(a.ID)
	want := Receipt{ID: a.ID, Created: a.Created, Delivered: delivered, Digest: "sha-256=:abc=:", Attempts: 2}
	if err != nil || !ok || r.ID != want.ID || !r.Created.Equal(want.Created) || !r.Delivered.Equal(want.Delivered) ||
		r.Digest != want.Digest || r.Attempts != want.Attempts {
		t.Errorf("Receipt = %+v, %v, %v; want %+v", r, ok, err, want)
	}
	if _, ok, _ := o.Receipt(b.ID); ok {
		t.Errorf("Receipt(%s) of an undelivered item: found", b.ID)
	}
	st := mustStats(t, o)
	if st.Queued != 1 || st.QueuedBytes != int64(len(b.Sealed)) || st.Delivered != 1 {
		t.Errorf("Stats = %+v, want 1 queued of %d bytes, 1 delivered", st, len(b.Sealed))
	}
	if err := o.Put(context.Background(), a); !errors.Is(err, ErrDuplicate) {
		t.Errorf("Put of a delivered id: %v, want ErrDuplicate", err)
	}
	if err := o.Ack("no-such-id", Receipt{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Ack(unknown) = %v, want ErrNotFound", err)
	}
}

func TestDead_MovesWithReason(t *testing.T) {
	s := newSealer(t)
	path := testPath(t)
	o := openTest(t, path, Options{})
	a, b, c := s.item(), s.item(), s.item()
	put(t, o, a, b, c)
	reason := "422 idempotency key reused with a different digest"
	if err := o.Dead(b.ID, reason); err != nil {
		t.Fatalf("Dead: %v", err)
	}
	o.Close()
	o = openTest(t, path, Options{})

	if got := itemIDs(mustDue(t, o, t0, 0)); !slices.Equal(got, []string{a.ID, c.ID}) {
		t.Errorf("Due after Dead = %q, want %q", got, []string{a.ID, c.ID})
	}
	dead, err := o.DeadLetters()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].ID != b.ID || dead[0].Reason != reason || dead[0].Attempts != 1 ||
		!dead[0].DeadAt.Equal(t0) || dead[0].Size != int64(len(b.Sealed)) {
		t.Errorf("DeadLetters = %+v, want %s with reason %q, 1 attempt, %d bytes", dead, b.ID, reason, len(b.Sealed))
	}
	st := mustStats(t, o)
	if st.Queued != 2 || st.Dead != 1 || st.DeadBytes != int64(len(b.Sealed)) {
		t.Errorf("Stats = %+v, want 2 queued, 1 dead of %d bytes", st, len(b.Sealed))
	}
	for name, err := range map[string]error{
		"Ack":   o.Ack(b.ID, Receipt{}),
		"Defer": o.Defer(b.ID, t0, ""),
		"Dead":  o.Dead(b.ID, "again"),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a dead item = %v, want ErrNotFound", name, err)
		}
	}
	if err := o.Put(context.Background(), b); !errors.Is(err, ErrDuplicate) {
		t.Errorf("Put of a dead id = %v, want ErrDuplicate", err)
	}
}

func TestPut_Full(t *testing.T) {
	s := newSealer(t)
	a, b, c := s.item(), s.item(), s.item()
	ab := int64(len(a.Sealed) + len(b.Sealed))
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"MaxItems", Options{MaxItems: 2}},
		{"MaxBytes", Options{MaxBytes: ab + int64(len(c.Sealed)) - 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := testPath(t)
			o := openTest(t, path, tt.opts)
			put(t, o, a, b)
			before := mustStats(t, o)
			if err := o.Put(context.Background(), c); !errors.Is(err, ErrFull) {
				t.Fatalf("third Put = %v, want ErrFull", err)
			}
			if after := mustStats(t, o); after != before {
				t.Errorf("Stats after a refused Put = %+v, want unchanged %+v", after, before)
			}
			o.Close()
			o = openTest(t, path, tt.opts)
			got := mustDue(t, o, t0, 0)
			if !slices.Equal(itemIDs(got), []string{a.ID, b.ID}) || !bytes.Equal(got[1].Sealed, b.Sealed) {
				t.Errorf("after ErrFull and reopen Due = %q, want a and b intact", itemIDs(got))
			}
			// A dead item still holds its bytes, so it still counts.
			if err := o.Dead(a.ID, "test"); err != nil {
				t.Fatal(err)
			}
			if err := o.Put(context.Background(), c); !errors.Is(err, ErrFull) {
				t.Errorf("Put with a dead item still held = %v, want ErrFull", err)
			}
			if err := o.Ack(b.ID, Receipt{}); err != nil {
				t.Fatal(err)
			}
			if err := o.Put(context.Background(), c); err != nil {
				t.Errorf("Put after a delivery freed room = %v, want nil", err)
			}
		})
	}
}

func TestPut_Rejects(t *testing.T) {
	s := newSealer(t)
	o := openTest(t, testPath(t), Options{})
	a, b := s.item(), s.item()
	put(t, o, a)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		name string
		ctx  context.Context
		it   NewItem
		want error
	}{
		{"duplicate id", context.Background(), a, ErrDuplicate},
		{"plaintext", context.Background(), NewItem{ID: b.ID, Sealed: []byte(`{"full_name":"` + markerName + `"}`)}, ErrNotSealed},
		{"envelope of another profile", context.Background(), NewItem{ID: b.ID, Sealed: a.Sealed}, ErrNotSealed},
		{"empty", context.Background(), NewItem{ID: b.ID}, ErrNotSealed},
		{"cancelled context", cancelled, b, context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := o.Put(tt.ctx, tt.it); !errors.Is(err, tt.want) {
				t.Errorf("Put = %v, want %v", err, tt.want)
			}
		})
	}
	if st := mustStats(t, o); st.Queued != 1 {
		t.Errorf("Stats.Queued = %d after rejected Puts, want 1", st.Queued)
	}
}

func TestRetryNow_MakesAllDueAndWakes(t *testing.T) {
	s := newSealer(t)
	o := openTest(t, testPath(t), Options{})
	a, b := s.item(), s.item()
	put(t, o, a, b)
	<-o.Wake() // drain the Put signal
	for _, it := range []NewItem{a, b} {
		if err := o.Defer(it.ID, t0.Add(time.Hour), "down"); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.RetryNow(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-o.Wake():
	default:
		t.Error("RetryNow did not signal Wake")
	}
	got := mustDue(t, o, t0, 0)
	if !slices.Equal(itemIDs(got), []string{a.ID, b.ID}) || got[0].Attempts != 1 {
		t.Errorf("Due after RetryNow = %q (attempts %d), want both, attempts kept at 1", itemIDs(got), got[0].Attempts)
	}
}

func TestWake_Coalesces(t *testing.T) {
	s := newSealer(t)
	o := openTest(t, testPath(t), Options{})
	select {
	case <-o.Wake():
		t.Fatal("Wake signalled before any Put")
	default:
	}
	put(t, o, s.item(), s.item(), s.item())
	<-o.Wake()
	select {
	case <-o.Wake():
		t.Error("three Puts left more than one pending signal")
	default:
	}
}

func TestOpen_SecondOpenIsLocked(t *testing.T) {
	path := testPath(t)
	openTest(t, path, Options{})
	o2, err := Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		if o2 != nil {
			o2.Close()
		}
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
}

func TestOpen_Permissions(t *testing.T) {
	path := testPath(t)
	openTest(t, path, Options{})
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode %04o, want %04o", p, got, want)
		}
	}

	open := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if o, err := Open(filepath.Join(open, "outbox.db"), Options{}); err == nil {
		o.Close()
		t.Error("Open in a 0755 directory: err = nil, want a refusal")
	}
}

func TestClosed(t *testing.T) {
	s := newSealer(t)
	o := openTest(t, testPath(t), Options{})
	o.Close()
	if err := o.Put(context.Background(), s.item()); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close = %v, want ErrClosed", err)
	}
	if _, err := o.Due(t0, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Due after Close = %v, want ErrClosed", err)
	}
}
