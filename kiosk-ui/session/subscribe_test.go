package session

import (
	"testing"
	"time"
)

func testTime() time.Time { return time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC) }

func TestSubscribe_SlowReaderGetsLatest(t *testing.T) {
	r := newRig(t)
	ch, cancel := r.s.Subscribe()
	defer cancel()
	// Nobody reads while the session changes many times; it must not block.
	for _, lang := range []string{"es", "fr", "en", "es", "fr"} {
		r.do(Action{Type: ActSetLanguage, Lang: lang})
	}
	want := r.s.State()
	got := <-ch
	if got.Rev != want.Rev || got.Lang != "fr" {
		t.Errorf("slow reader got rev %d lang %s, want the latest rev %d lang fr", got.Rev, got.Lang, want.Rev)
	}
	select {
	case st := <-ch:
		t.Errorf("a second, stale state was queued: rev %d", st.Rev)
	default:
	}
}

func TestSubscribe_CancelCloses(t *testing.T) {
	r := newRig(t)
	ch, cancel := r.s.Subscribe()
	<-ch
	cancel()
	cancel() // twice is fine
	if _, ok := <-ch; ok {
		t.Errorf("channel still open after cancel")
	}
	r.do(Action{Type: ActStart}) // publishing after cancel must not panic
}

func TestRev_IncrementsOnEveryChange(t *testing.T) {
	r := newRig(t)
	a := r.s.State().Rev
	b := r.do(Action{Type: ActStart}).Rev
	c := r.do(Action{Type: ActConsentAccept}).Rev
	if !(a < b && b < c) {
		t.Errorf("revs %d, %d, %d, want increasing", a, b, c)
	}
}
