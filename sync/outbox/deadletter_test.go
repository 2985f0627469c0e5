package outbox

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRetryDead_RequeuesInPlace(t *testing.T) {
	s := newSealer(t)
	path := testPath(t)
	o := openTest(t, path, Options{})
	a, b, c := s.item(), s.item(), s.item()
	put(t, o, a, b, c)
	for _, it := range []NewItem{a, b} {
		if err := o.Dead(it.ID, "413 too large"); err != nil {
			t.Fatal(err)
		}
	}
	<-o.Wake()
	if n, err := o.RetryDead(a.ID, "no-such-id"); !errors.Is(err, ErrNotFound) || n != 0 {
		t.Fatalf("RetryDead with an unknown id = %d, %v; want 0, ErrNotFound", n, err)
	}
	if st := mustStats(t, o); st.Dead != 2 {
		t.Fatalf("after a refused RetryDead %d dead, want 2 (all or nothing)", st.Dead)
	}
	if n, err := o.RetryDead(a.ID); n != 1 || err != nil {
		t.Fatalf("RetryDead(a) = %d, %v; want 1, nil", n, err)
	}
	select {
	case <-o.Wake():
	default:
		t.Error("RetryDead did not wake the uploader")
	}
	o.Close()
	o = openTest(t, path, Options{})

	// a is back at the head of the line, where its sequence puts it.
	if got := itemIDs(mustDue(t, o, t0, 0)); !slices.Equal(got, []string{a.ID, c.ID}) {
		t.Errorf("Due after RetryDead(a) = %q, want %q", got, []string{a.ID, c.ID})
	}
	items := mustDue(t, o, t0, 1)
	if items[0].Attempts != 1 || !bytes.Equal(items[0].Sealed, a.Sealed) {
		t.Errorf("requeued item: attempts %d, envelope intact %v; want 1 and true", items[0].Attempts, bytes.Equal(items[0].Sealed, a.Sealed))
	}
	st := mustStats(t, o)
	if st.Queued != 2 || st.Dead != 1 || st.QueuedBytes != int64(len(a.Sealed)+len(c.Sealed)) || st.DeadBytes != int64(len(b.Sealed)) {
		t.Errorf("Stats = %+v, want 2 queued (a, c), 1 dead (b), bytes moved with them", st)
	}
	if n, err := o.RetryDead(); n != 1 || err != nil {
		t.Errorf("RetryDead() = %d, %v; want every remaining dead letter (1)", n, err)
	}
	if dead, _ := o.DeadLetters(); len(dead) != 0 {
		t.Errorf("DeadLetters after retrying all = %d, want 0", len(dead))
	}
}

func TestDeadSealed(t *testing.T) {
	s := newSealer(t)
	o := openTest(t, testPath(t), Options{})
	a, b := s.item(), s.item()
	put(t, o, a, b)
	if err := o.Dead(a.ID, "422"); err != nil {
		t.Fatal(err)
	}
	got, err := o.DeadSealed(a.ID)
	if err != nil || !bytes.Equal(got, a.Sealed) {
		t.Errorf("DeadSealed(a) = %d bytes, %v; want a's envelope", len(got), err)
	}
	if _, err := o.DeadSealed(b.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeadSealed of a queued item = %v, want ErrNotFound", err)
	}
}

func TestReview_PollsDueAndStops(t *testing.T) {
	s := newSealer(t)
	path := testPath(t)
	o := openTest(t, path, Options{})
	a, b, c := s.item(), s.item(), s.item()
	put(t, o, a, b, c)
	for i, it := range []NewItem{a, b, c} {
		r := Receipt{Digest: "d", NextCheck: t0.Add(time.Duration(3-i) * time.Minute)}
		if it.ID == c.ID {
			r.NextCheck = time.Time{} // not polled
		}
		if err := o.Ack(it.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	due, err := o.DueChecks(t0.Add(3*time.Minute), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(due, func(r Receipt) string { return r.ID }); !slices.Equal(got, []string{b.ID, a.ID}) {
		t.Fatalf("DueChecks = %q, want b (due earlier) then a", got)
	}
	next, ok, err := o.NextCheck()
	if err != nil || !ok || !next.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("NextCheck = %v %v %v, want %v", next, ok, err, t0.Add(2*time.Minute))
	}

	updated := t0.Add(-time.Hour)
	if err := o.SetReview(b.ID, ReviewUpdate{State: "rejected", Updated: updated, Checked: t0}); err != nil {
		t.Fatal(err)
	}
	if err := o.SetReview(a.ID, ReviewUpdate{State: "pending_review", Checked: t0, NextCheck: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// A failed poll keeps the state it had.
	if err := o.SetReview(a.ID, ReviewUpdate{Checked: t0.Add(time.Minute), NextCheck: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	o.Close()
	o = openTest(t, path, Options{})
	if due, _ := o.DueChecks(t0.Add(90*time.Minute), 0); len(due) != 0 {
		t.Errorf("DueChecks before a's new time = %d receipts, want none (b is final)", len(due))
	}
	rb, _, _ := o.Receipt(b.ID)
	ra, _, _ := o.Receipt(a.ID)
	if rb.Review != "rejected" || !rb.ReviewUpdated.Equal(updated) || !rb.NextCheck.IsZero() || rb.Checks != 1 {
		t.Errorf("receipt b = %+v, want rejected, updated %v, no next check, 1 check", rb, updated)
	}
	if ra.Review != "pending_review" || ra.Checks != 2 || !ra.NextCheck.Equal(t0.Add(2*time.Hour)) || !ra.Checked.Equal(t0.Add(time.Minute)) {
		t.Errorf("receipt a = %+v, want pending_review kept over a failed poll, 2 checks, next %v", ra, t0.Add(2*time.Hour))
	}
	if due, _ := o.DueChecks(t0.Add(2*time.Hour), 0); len(due) != 1 || due[0].ID != a.ID {
		t.Errorf("DueChecks at a's time = %v, want a", due)
	}
	if err := o.SetReview("no-such-id", ReviewUpdate{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetReview(unknown) = %v, want ErrNotFound", err)
	}
}

// Acks of parallel deliveries share commits (updateShared): every one of
// them must land, with the counters right, and a repeated Ack stays a no-op.
func TestAck_Concurrent(t *testing.T) {
	o := openTest(t, testPath(t), Options{})
	var items []NewItem
	for range 40 {
		items = append(items, bigItem(t, 2000))
	}
	put(t, o, items...)
	errs := make(chan error, 2*len(items))
	for _, it := range items {
		for range 2 {
			go func() { errs <- o.Ack(it.ID, Receipt{Digest: "d"}) }()
		}
	}
	for range 2 * len(items) {
		if err := <-errs; err != nil {
			t.Errorf("Ack: %v", err)
		}
	}
	st := mustStats(t, o)
	if st.Queued != 0 || st.QueuedBytes != 0 || st.Delivered != len(items) {
		t.Errorf("Stats after concurrent Acks = %+v, want 0 queued, %d delivered", st, len(items))
	}
	for _, it := range items {
		if r, ok, _ := o.Receipt(it.ID); !ok || r.Attempts != 1 {
			t.Errorf("receipt %s = %+v, %v; want one, 1 attempt", it.ID, r, ok)
		}
	}
}
