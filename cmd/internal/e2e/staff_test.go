package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/idkiosk/idkiosk/kiosk-ui/browsertest"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// pinKeys types a PIN on the page's staff keypad.
func pinKeys(pin string) browsertest.Action {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, d := range pin {
			if err := chromedp.Do(ctx, browsertest.Click("pin-"+string(d))); err != nil {
				return fmt.Errorf("PIN key %q: %w", d, err)
			}
		}
		return nil
	})
}

// unlockStaff enters the stack's staff PIN through the page API (on the
// staff screen or a photo step offering the override) and waits for the
// answer: the PIN is checked against its scrypt hash in the background.
func (e *env) unlockStaff() session.State {
	e.t.Helper()
	e.do(session.Action{Type: session.ActStaffUnlock, PIN: e.s.StaffPIN})
	return e.waitState("staff mode unlocked", func(s session.State) bool { return s.Staff != nil && s.Staff.Unlocked })
}

// TestBrowser_StaffPIN is Done-when 1's "staff PIN (right, wrong,
// lockout)" in Chromium: the discreet Staff button on welcome opens the
// keypad; a wrong PIN says so and how many tries are left; the third locks
// the keypad with a countdown and kioskd refuses even the right PIN until
// the lock ends; then the right PIN opens the staff screens, and leaving
// returns to welcome, locked again.
func TestBrowser_StaffPIN(t *testing.T) {
	e := newEnv(t, map[string]string{"staff.lockout": `"3s"`})
	e.startVerifyd()
	e.startKioskd()
	b := browsertest.New(t)
	b.Allowed = append(b.Allowed, "status of 422", "status of 403")
	b.Run(browsertest.Navigate(e.kioskURL()+"/"), b.Step("welcome"), browsertest.Click("staff-open"), b.Step("staff"),
		browsertest.Visible(`[data-testid="staff-pin"]`))
	if st := e.state(); st.Step != session.StepStaff || st.Staff == nil || st.Staff.Unlocked {
		t.Fatalf("after the Staff button: step %s staff %+v, want the locked staff screen", st.Step, st.Staff)
	}
	// The staff data is not there before the PIN.
	if code := e.pageStatus("/api/staff/status"); code != http.StatusForbidden {
		t.Errorf("GET /api/staff/status before the PIN: %d, want 403", code)
	}

	wrong := strings.Repeat("9", len(e.s.StaffPIN))
	if wrong == e.s.StaffPIN {
		wrong = strings.Repeat("8", len(e.s.StaffPIN))
	}
	for try := 1; try <= 2; try++ {
		want := i18n.Lookup("en", session.KeyStaffPINWrong, map[string]string{"left": strconv.Itoa(3 - try)})
		b.Run(pinKeys(wrong), browsertest.Click("staff-unlock"), browsertest.Message(session.KeyStaffPINWrong),
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('[data-testid="message"]').textContent === %q`, want)))
	}
	b.Run(pinKeys(wrong), browsertest.Click("staff-unlock"), browsertest.Message(session.KeyStaffLocked),
		browsertest.Visible(`[data-testid="staff-locked"]`),
		browsertest.Visible(`[data-testid="pin-1"][disabled]`))
	if got := b.Text("staff-locked"); !strings.Contains(got, "Try again in") {
		t.Errorf("locked keypad says %q, want a countdown", got)
	}
	// Locked means locked for anyone, not just for the page's buttons.
	if st, code := e.tryDo(session.Action{Type: session.ActStaffUnlock, PIN: e.s.StaffPIN}); code != http.StatusUnprocessableEntity ||
		st.Message == nil || st.Message.Key != session.KeyStaffLocked || st.Staff.Unlocked {
		t.Fatalf("the right PIN during the lockout: %d message %+v, want 422 %q", code, st.Message, session.KeyStaffLocked)
	}

	// The keypad opens again by itself when the lock ends.
	b.Run(browsertest.Visible(`[data-testid="pin-1"]:not([disabled])`),
		pinKeys(e.s.StaffPIN), browsertest.Click("staff-unlock"),
		browsertest.Visible(`[data-testid="staff-status"][data-time]`))
	if st := e.state(); !st.Staff.Unlocked || st.Step != session.StepStaff {
		t.Errorf("after the right PIN: step %s staff %+v, want the unlocked staff screen", st.Step, st.Staff)
	}
	if got := b.Text("staff-device-id"); got != e.s.DeviceID {
		t.Errorf("staff screen shows kiosk %q, want %q", got, e.s.DeviceID)
	}
	b.Run(browsertest.Click("staff-exit"), b.Step("welcome"))
	if code := e.pageStatus("/api/staff/status"); code != http.StatusForbidden {
		t.Errorf("GET /api/staff/status after leaving staff mode: %d, want 403", code)
	}
	b.CheckConsole()

	// Every wrong try is logged, and no log value is a PIN (quoted: six
	// digits alone turn up inside timestamps).
	logs := e.logs.String()
	if !strings.Contains(logs, "staff PIN wrong") || strings.Contains(logs, strconv.Quote(e.s.StaffPIN)) || strings.Contains(logs, strconv.Quote(wrong)) {
		t.Errorf("kioskd's log: want the wrong PINs noted, never a PIN itself")
	}
}

// TestBrowser_StaffScreens_DisconnectedCamera is Done-when 1's "staff
// screens show real queue and diagnostics data from a kiosk with a
// disconnected simulated camera": a profile the service refused for good
// (a dead letter, through the fault server's 413), one waiting because
// the service is unreachable, and the simulated camera unplugged (the
// demo panel's "unplugged": its Stream fails with ErrNoDevice and the real
// capture.Runner goes "disconnected"). The staff screen shows each, runs
// the checks on request, and its "send again" delivers the dead letter
// once the service takes it.
func TestBrowser_StaffScreens_DisconnectedCamera(t *testing.T) {
	proxyAddr := freeAddr(t)
	e := newEnv(t, faultConfig("https://"+proxyAddr))
	e.startVerifyd()
	p := newFaultProxy(t, proxyAddr, e.s)
	p.up()
	p.set(statusFault(http.StatusRequestEntityTooLarge, 0))
	e.startKioskd()
	l := newLearner(e.s.KioskAddr)
	dead := e.learners(l, "Refused", 1)[0]
	e.eventually("a dead letter", func() bool { return e.status().Queue.Dead == 1 })
	p.down()
	waiting := e.learners(l, "Waiting", 1)[0]
	e.eventually("a refused connection", func() bool { return strings.Contains(e.status().Upload.LastError, "connection refused") })

	e.scene("unplugged")
	e.eventually("the camera disconnected", func() bool { return e.health().Camera == "disconnected" })

	b := browsertest.New(t)
	b.Allowed = append(b.Allowed, "status of 403")
	b.Run(browsertest.Navigate(e.kioskURL()+"/"), browsertest.Click("staff-open"), b.Step("staff"),
		pinKeys(e.s.StaffPIN), browsertest.Click("staff-unlock"),
		browsertest.Visible(`[data-testid="staff-status"][data-time]`),
		// The service probe runs in the background; the page polls.
		browsertest.Visible(`[data-testid="staff-network-value"][data-reachable="false"]`),
	)
	checks := []struct{ testid, want string }{
		{"staff-queued", "1"},
		{"staff-dead-count", "1"},
		{"staff-camera-state", i18n.Lookup("en", "camera.state.disconnected", nil)},
		{"staff-device-id", e.s.DeviceID},
		{"staff-health-value", i18n.Lookup("en", "staff.health.degraded", nil)},
	}
	for _, c := range checks {
		if got := b.Text(c.testid); got != c.want {
			t.Errorf("staff screen %s = %q, want %q", c.testid, got, c.want)
		}
	}
	page := b.Text("staff-status")
	for _, want := range []string{
		dead,                            // the dead letter's receipt reference
		"service answered 413",          // and the service's reason
		"camera is disconnected",        // the streaming check's message from the catalogue
		"unplugged",                     // the Runner's last error, with simcam's reason
		"The service cannot be reached", // the network probe
		i18n.Lookup("en", "staff.audit.staff_unlocked", nil), // the audit, with this unlock
	} {
		if !strings.Contains(page, want) {
			t.Errorf("staff screen lacks %q:\n%s", want, page)
		}
	}
	// No learner's data: names and emails never reach staff mode.
	for _, pii := range []string{learnerName("Refused", 0), learnerName("Waiting", 0), "refused.0@example.org", "waiting.0@example.org"} {
		if strings.Contains(page, pii) {
			t.Errorf("staff screen shows personal data %q", pii)
		}
	}
	alerts := b.Text("staff-alerts")
	for _, want := range []string{i18n.Lookup("en", "staff.alert.dead_letters", map[string]string{"count": "1"}), i18n.Lookup("en", "camera.state.disconnected", nil)} {
		if !strings.Contains(alerts, want) {
			t.Errorf("what needs attention: %q, want it to say %q", alerts, want)
		}
	}

	// Run the checks now: the camera check still fails, with its advice.
	b.Run(browsertest.Click("staff-diagnose"), browsertest.Visible(`[data-testid="staff-status"][data-diagnosed]`),
		browsertest.Visible(`[data-testid="staff-check"][data-check="camera.streaming"][data-status="fail"]`))

	// The service is fixed: staff send the dead letter again, and both
	// profiles arrive once.
	p.set(fault{})
	p.up()
	b.Run(browsertest.Click("staff-retry"), browsertest.Visible(`[data-testid="staff-dead-none"]`),
		browsertest.Click("staff-sync-now"))
	got := e.arrived(dead, waiting)
	for _, ref := range []string{dead, waiting} {
		if got[ref].Stores != 1 {
			t.Errorf("profile %s stored %d times, want once", ref, got[ref].Stores)
		}
	}

	// Plugged back in, the camera check passes again, and the checks run
	// now find the service (the status alone reuses the last probe for
	// half a minute).
	e.scene("auto")
	b.Run(browsertest.Click("staff-diagnose"),
		browsertest.Visible(`[data-testid="staff-check"][data-check="camera.streaming"][data-status="ok"]`),
		browsertest.Visible(`[data-testid="staff-network-value"][data-reachable="true"]`),
		browsertest.Click("staff-exit"), b.Step("welcome"))
	b.CheckConsole()
	e.stop(e.kioskd)
}

// A power cut must not hand a guesser fresh tries: three wrong PINs lock
// the keypad, kioskd is killed as a power cut would (SIGKILL, straight
// after the third verdict was shown) and started again, and the lock is
// still there, for the right PIN too.
func TestStaffLockout_SurvivesAPowerCut(t *testing.T) {
	e := newEnv(t, map[string]string{"staff.lockout": `"1h"`, "staff.max_lockout": `"2h"`})
	e.startVerifyd()
	e.startKioskd()
	wrong := strings.Repeat("9", len(e.s.StaffPIN))
	if wrong == e.s.StaffPIN {
		wrong = strings.Repeat("8", len(e.s.StaffPIN))
	}
	e.do(session.Action{Type: session.ActStaffOpen})
	for try := 1; try <= 3; try++ {
		e.tryDo(session.Action{Type: session.ActStaffUnlock, PIN: wrong})
		want := session.KeyStaffPINWrong
		if try == 3 {
			want = session.KeyStaffLocked
		}
		e.waitState(fmt.Sprintf("wrong PIN %d answered", try), func(s session.State) bool {
			return s.Staff != nil && !s.Staff.Checking && s.Message != nil && s.Message.Key == want
		})
	}
	e.kioskd.Kill()
	<-e.kioskd.Done()
	e.startKioskd()

	st := e.do(session.Action{Type: session.ActStaffOpen})
	if st.Staff == nil || st.Staff.LockedUntil == nil || time.Until(*st.Staff.LockedUntil) < 50*time.Minute {
		t.Fatalf("after the restart: staff %+v, want the keypad locked for about an hour", st.Staff)
	}
	st, code := e.tryDo(session.Action{Type: session.ActStaffUnlock, PIN: e.s.StaffPIN})
	if code != http.StatusUnprocessableEntity || st.Message == nil || st.Message.Key != session.KeyStaffLocked || st.Staff.Unlocked {
		t.Errorf("the right PIN after the restart: %d message %+v, want 422 %q", code, st.Message, session.KeyStaffLocked)
	}
}
