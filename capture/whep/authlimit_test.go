package whep

import (
	"testing"
	"time"
)

// A burst of failures is audited one by one; past it, one record a minute,
// each saying how many failures it stands for.
func TestFailedAuthAudit(t *testing.T) {
	a := newFailedAuthAudit()
	t0 := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	type step struct {
		at             time.Duration
		wantOK         bool
		wantUnrecorded int
	}
	var steps []step
	for range failedAuthBurst {
		steps = append(steps, step{0, true, 0})
	}
	steps = append(steps,
		step{0, false, 0},
		step{time.Second, false, 0},
		step{30 * time.Second, false, 0},
		step{time.Minute, true, 3},      // a minute refills one record
		step{time.Minute, false, 0},     // and it is spent
		step{3 * time.Minute, true, 1},  // two more came back
		step{3 * time.Minute, true, 0},  //
		step{3 * time.Minute, false, 0}, //
		step{time.Hour, true, 1},        // refilled to the burst, no more
		step{time.Hour + time.Second, true, 0},
	)
	for i, st := range steps {
		ok, unrecorded := a.allow(t0.Add(st.at))
		if ok != st.wantOK || unrecorded != st.wantUnrecorded {
			t.Fatalf("failure %d at +%v: recorded %v (%d unrecorded before), want %v (%d)", i+1, st.at, ok, unrecorded, st.wantOK, st.wantUnrecorded)
		}
	}
	// After an hour the bucket holds the whole burst again, not more.
	n := 0
	for {
		if ok, _ := a.allow(t0.Add(time.Hour + time.Second)); !ok {
			break
		}
		n++
	}
	if n != failedAuthBurst-2 {
		t.Errorf("%d more records right after the refill, want %d (the burst less the two taken)", n, failedAuthBurst-2)
	}
}
