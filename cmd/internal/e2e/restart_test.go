package e2e

import (
	"testing"

	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// TestRestart_NothingSavedIsLost: a SIGTERM straight after "submit" lets
// the commit finish and exits cleanly; a kill -9 after the receipt loses
// nothing either, because the receipt is shown only after the fsync'd
// commit. Both profiles reach the service exactly once afterwards.
func TestRestart_NothingSavedIsLost(t *testing.T) {
	e := newEnv(t, fastRetries)
	e.startKioskd() // the service is down the whole time the kiosk is

	// 1. Submit, then SIGTERM at once: the page shows "saving".
	e.walkToReview("first@example.org", "Ngozi Okonkwo-Adébáyọ̀", true)
	st := e.do(session.Action{Type: session.ActSubmit})
	if st.Step != session.StepSaving && st.Step != session.StepReceipt {
		t.Fatalf("after submit the page shows %s, want saving or receipt", st.Step)
	}
	e.stop(e.kioskd) // requires exit status 0
	e.startKioskd()
	if h := e.health(); h.Queue.Queued != 1 {
		t.Fatalf("after SIGTERM during the save, %d profiles queued, want 1", h.Queue.Queued)
	}

	// 2. Receipt shown, then the power goes.
	second := e.completeProfile("second@example.org", "Søren Kierkegaard", false)
	e.kioskd.Kill()
	e.startKioskd()
	if h := e.health(); h.Queue.Queued != 2 {
		t.Fatalf("after kill -9, %d profiles queued, want 2", h.Queue.Queued)
	}

	e.startVerifyd()
	e.arrived(second.Ref)
	e.eventually("both profiles delivered", func() bool { return e.health().Queue.Delivered == 2 })
	list := e.received()
	if len(list) != 2 {
		t.Fatalf("service holds %d profiles, want 2", len(list))
	}
	for _, p := range list {
		if p.Stores != 1 {
			t.Errorf("profile %s stored %d times, want once", p.Reference, p.Stores)
		}
	}
	e.stop(e.kioskd)
	e.stop(e.verifyd)
}
