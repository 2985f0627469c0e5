package outbox

import (
	"bytes"
	"slices"
	"testing"
	"time"
)

func TestNext_InOrderAndHeadOfLine(t *testing.T) {
	s := newSealer(t)
	o := openTest(t, testPath(t), Options{})
	a, b, c := s.item(), s.item(), s.item()
	put(t, o, a, b, c)
	if err := o.Defer(b.ID, t0.Add(time.Hour), "503"); err != nil {
		t.Fatal(err)
	}
	first, ok, err := o.Next(0, t0)
	if err != nil || !ok || first.ID != a.ID || !bytes.Equal(first.Sealed, a.Sealed) {
		t.Fatalf("Next(0) = %s ok %v err %v, want %s with its envelope", first.ID, ok, err, a.ID)
	}
	// b is deferred: it is returned without its envelope, and c behind
	// it is not reached, so the caller waits for b.
	second, ok, err := o.Next(first.Seq, t0)
	if err != nil || !ok || second.ID != b.ID || second.Sealed != nil || !second.NextAttempt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Next(after a) = %s sealed %d bytes next %v ok %v err %v; want %s, no envelope, next %v",
			second.ID, len(second.Sealed), second.NextAttempt, ok, err, b.ID, t0.Add(time.Hour))
	}
	if second.Size != int64(len(b.Sealed)) {
		t.Errorf("Size = %d, want %d", second.Size, len(b.Sealed))
	}
	third, ok, _ := o.Next(second.Seq, t0)
	if !ok || third.ID != c.ID {
		t.Errorf("Next(after b) = %s, want %s", third.ID, c.ID)
	}
	if _, ok, err := o.Next(third.Seq, t0); ok || err != nil {
		t.Errorf("Next past the end: ok %v err %v, want false, nil", ok, err)
	}
	// Once b is due, it comes with its envelope.
	due, _, _ := o.Next(first.Seq, t0.Add(time.Hour))
	if due.ID != b.ID || !bytes.Equal(due.Sealed, b.Sealed) {
		t.Errorf("Next at b's time = %s with %d bytes, want b's envelope", due.ID, len(due.Sealed))
	}
}

func TestQueued_PagesWithoutEnvelopes(t *testing.T) {
	s := newSealer(t)
	o := openTest(t, testPath(t), Options{})
	var want []NewItem
	for range 5 {
		want = append(want, s.item())
	}
	put(t, o, want...)
	page1, err := o.Queued(0, 3)
	if err != nil {
		t.Fatal(err)
	}
	page2, err := o.Queued(page1[len(page1)-1].Seq, 3)
	if err != nil {
		t.Fatal(err)
	}
	got := append(itemIDs(page1), itemIDs(page2)...)
	if !slices.Equal(got, newIDs(want)) || len(page1) != 3 {
		t.Fatalf("pages = %q + %q, want %q in pages of 3", itemIDs(page1), itemIDs(page2), newIDs(want))
	}
	for i, it := range append(page1, page2...) {
		if it.Sealed != nil || it.Size != int64(len(want[i].Sealed)) {
			t.Errorf("item %d: %d sealed bytes, size %d; want none and %d", i, len(it.Sealed), it.Size, len(want[i].Sealed))
		}
	}
}
