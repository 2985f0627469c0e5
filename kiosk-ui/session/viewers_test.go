package session

import "testing"

// The banner's count follows SetViewers, is published to subscribers, and
// survives the learner's session being reset: a new learner in front of
// the kiosk must see it too.
func TestSetViewers(t *testing.T) {
	r := newRig(t)
	ch, cancel := r.s.Subscribe()
	defer cancel()
	<-ch
	rev := r.s.State().Rev

	r.s.SetViewers(2)
	if st := <-ch; st.AdminViewers != 2 || st.Rev <= rev {
		t.Errorf("after SetViewers(2): admin_viewers %d rev %d, want 2 and a new rev", st.AdminViewers, st.Rev)
	}
	rev = r.s.State().Rev
	r.s.SetViewers(2) // no change, no new state
	if got := r.s.State().Rev; got != rev {
		t.Errorf("SetViewers with the same count changed rev %d -> %d", rev, got)
	}

	r.do(Action{Type: ActStart})
	r.do(Action{Type: ActConsentDecline})
	if got := r.s.State().AdminViewers; got != 2 {
		t.Errorf("after the session reset: admin_viewers %d, want 2", got)
	}
	r.s.SetViewers(0)
	r.s.SetViewers(-1)
	if got := r.s.State().AdminViewers; got != 0 {
		t.Errorf("after SetViewers(0), SetViewers(-1): admin_viewers %d, want 0", got)
	}
}
