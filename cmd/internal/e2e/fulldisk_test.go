package e2e

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// TestFullDisk_RefusesCleanlyAndRecovers puts the kiosk's queue on a 16 MB
// tmpfs and fills it while a learner is on the review screen:
//
//   - their "send" fails with the queue_full message (the profile is not
//     stored, and they are told so), and the two profiles stored before
//     are untouched;
//   - the next learner is refused at "start" with kiosk_full, before they
//     invest any time, and /healthz raises the kiosk_full alert;
//   - a power cut while the disk is full loses nothing;
//   - once space returns the kiosk takes profiles again without a restart,
//     and when the service comes back all three arrive exactly once and
//     decrypt to what the learners entered.
//
// Needs root for the mount (CI runs as root).
func TestFullDisk_RefusesCleanlyAndRecovers(t *testing.T) {
	skipUnlessRoot(t, "the full-disk test (a 16 MB tmpfs)")
	disk := t.TempDir()
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=16m,mode=0700"); err != nil {
		t.Fatalf("mount a tmpfs: %v", err)
	}
	// Registered first, so it runs last: after kioskd is gone.
	t.Cleanup(func() {
		if err := syscall.Unmount(disk, 0); err != nil {
			t.Errorf("unmount %s: %v", disk, err)
		}
	})

	verifydAddr := freeAddr(t)
	cfg := faultConfig("https://" + verifydAddr)
	cfg["queue.path"] = strconv.Quote(filepath.Join(disk, "queue", "outbox.db"))
	cfg["queue.min_free_mb"] = "2"
	e := newEnvIn(t, binDir, verifydAddr, cfg)
	e.startKioskd() // the service is down until the end

	l := newLearner(e.s.KioskAddr)
	stored := []*attempt{
		{Name: learnerName("Stored", 0), Email: "stored.0@example.org"},
		{Name: learnerName("Stored", 1), Email: "stored.1@example.org"},
	}
	for _, a := range stored {
		if err := l.complete(a); err != nil || a.Outcome != confirmed {
			t.Fatalf("learner %s before the disk filled: %v", a.Name, err)
		}
	}

	// A learner is on the review screen when the disk fills up (logs,
	// an update image, anything else on the partition).
	late := &attempt{Name: learnerName("Late", 0), Email: "late@example.org"}
	if err := l.toReview(late); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(disk, "filler")
	fillDisk(t, filler)
	if err := l.submit(late); err != nil {
		t.Fatal(err)
	}
	if late.Outcome != notSubmitted || late.Message == nil || *late.Message != session.KeyQueueFull {
		t.Fatalf("send on a full disk: outcome %d, message %v; want the %s message and nothing stored", late.Outcome, late.Message, session.KeyQueueFull)
	}
	if h := e.status(); h.Queue.Queued != 2 || !h.alert("kiosk_full") {
		t.Errorf("after the failed save: %d queued, alerts %+v; want the 2 stored before and kiosk_full", h.Queue.Queued, h.Alerts)
	}

	// The next learner is refused before they start.
	if err := l.toWelcome(); err != nil {
		t.Fatal(err)
	}
	st, code, err := l.act(session.Action{Type: session.ActStart})
	if err != nil || code != http.StatusUnprocessableEntity || st.Message == nil || st.Message.Key != session.KeyKioskFull || st.Step != session.StepWelcome {
		t.Fatalf("start on a full disk: status %d, step %s, message %+v (%v); want 422 on welcome with %s", code, st.Step, st.Message, err, session.KeyKioskFull)
	}

	// A power cut while the disk is full.
	e.kioskd.Kill()
	e.startKioskd()
	if h := e.status(); h.Queue.Queued != 2 {
		t.Fatalf("after a kill -9 on a full disk: %d queued, want 2", h.Queue.Queued)
	}

	// Staff free some space: the kiosk takes profiles again, no restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	again := &attempt{Name: late.Name, Email: late.Email}
	if err := l.complete(again); err != nil || again.Outcome != confirmed {
		t.Fatalf("learner after space returned: %v, outcome %d, message %v", err, again.Outcome, again.Message)
	}
	if h := e.status(); h.alert("kiosk_full") {
		t.Errorf("kiosk_full alert still up after space returned: %+v", h.Alerts)
	}

	e.startVerifyd()
	all := append(stored, again)
	var refs []string
	for _, a := range all {
		refs = append(refs, a.Ref)
	}
	e.deliveredOnce(refs, len(all))
	got := e.arrived(refs...)
	for _, a := range all {
		p := e.profile(got[a.Ref].ID)
		if p.FullName != a.Name || p.Email != a.Email {
			t.Errorf("profile %s decrypts to %q <%s>, want %q <%s>", a.Ref, p.FullName, p.Email, a.Name, a.Email)
		}
	}
	e.stop(e.kioskd)
	e.stop(e.verifyd)
}

// fillDisk writes path until the file system holding it is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	// The last partial chunk may have left a few bytes free.
	small := make([]byte, 512)
	for {
		if _, err := f.Write(small); err != nil {
			break
		}
	}
	var st syscall.Statfs_t
	syscall.Statfs(filepath.Dir(path), &st)
	if free := st.Bavail * uint64(st.Bsize); free > 4096 {
		t.Fatalf("disk not full after filling: %d bytes free", free)
	}
}
