package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/idkiosk/idkiosk/kiosk-ui/browsertest"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/service"
)

// decide approves or rejects a profile through verifyd's review JSON API,
// as a reviewer's tool would.
func (e *env) decide(id string, state api.ReviewState, reason string) {
	e.t.Helper()
	body, _ := json.Marshal(service.Decision{State: state, Reason: reason})
	req, _ := http.NewRequest(http.MethodPost, e.s.ServiceURL()+"/review/api/profiles/"+id+"/decision", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("reviewer", e.s.ReviewPassword)
	resp, err := e.s.HTTPClient().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("decide %s %s: status %d", id, state, resp.StatusCode)
	}
}

// TestBrowser_StatusLookup is Done-when 1's "status look-up for approved,
// rejected and unknown emails against verifyd": three learners' profiles
// reach the real service over mTLS, a reviewer approves one and rejects
// one with a reason through the review API, and at the kiosk each learner
// taps "Check my verification status", types their email on the page's
// keyboard and reads where they stand; an email the service does not know
// gets the help page's advice; with the service gone, the kiosk says it
// cannot check and what to do.
func TestBrowser_StatusLookup(t *testing.T) {
	e := newEnv(t, nil)
	e.startVerifyd()
	e.startKioskd()
	learners := map[api.ReviewState]string{
		api.StateApproved:      "approved@example.org",
		api.StateRejected:      "rejected@example.org",
		api.StatePendingReview: "pending@example.org",
	}
	const reason = "The photo of the ID is blurred: please take it again."
	refs := map[api.ReviewState]string{}
	for state, email := range learners {
		refs[state] = e.completeProfile(email, learnerName("Status", len(refs)), false).Ref
	}
	got := e.arrived(refs[api.StateApproved], refs[api.StateRejected], refs[api.StatePendingReview])
	e.decide(got[refs[api.StateApproved]].ID, api.StateApproved, "")
	e.decide(got[refs[api.StateRejected]].ID, api.StateRejected, reason)
	// verifyd allows a kiosk 5 lookups at once, then one every 6 s; the
	// three profiles above used three. A restart gives a fresh allowance,
	// so what follows is not rate-limited.
	e.stop(e.verifyd)
	e.startVerifyd()

	b := browsertest.New(t)
	b.Run(browsertest.Navigate(e.kioskURL() + "/"))
	cases := []struct {
		email, result, text string
	}{
		{learners[api.StateApproved], string(api.StateApproved), i18n.Lookup("en", "status.result.approved", nil)},
		{learners[api.StateRejected], string(api.StateRejected), i18n.Lookup("en", "status.reason", map[string]string{"reason": reason})},
		{learners[api.StatePendingReview], string(api.StatePendingReview), i18n.Lookup("en", "status.pending_hint", nil)},
		{"nobody.here@example.org", session.LookupNoAccount, i18n.Lookup("en", "status.result.no_account", nil)},
	}
	for _, c := range cases {
		t.Run(c.result, func(t *testing.T) {
			// The last learner's address is gone from the page too.
			b.Run(b.Step("welcome"), browsertest.Click("check-status"), b.Step("status"))
			left, err := chromedp.Run(b.Context(), chromedp.Value(chromedp.CSS(`[data-testid="status-email-input"]`)))
			if err != nil {
				t.Fatal(err)
			}
			if left != "" {
				t.Errorf("the status screen opens with %q typed in, want it empty", left)
			}
			b.Run(browsertest.Click("back"), b.Step("welcome"))
			lookUp(b, c.email)
			b.Run(browsertest.Visible(fmt.Sprintf(`[data-testid="status-result"][data-result="%s"]`, c.result)))
			if text := b.Text("status-result"); !bytes.Contains([]byte(text), []byte(c.text)) {
				t.Errorf("status of %s reads %q, want it to say %q", c.email, text, c.text)
			}
			b.Run(browsertest.Click("status-done"), b.Step("welcome"))
		})
	}

	// Offline: the learner is told the kiosk cannot check, and what to do.
	e.stop(e.verifyd)
	lookUp(b, learners[api.StateApproved])
	b.Run(browsertest.Visible(`[data-testid="status-result"][data-result="offline"]`))
	if text, want := b.Text("status-result"), i18n.Lookup("en", "status.result.offline", nil); !bytes.Contains([]byte(text), []byte(want)) {
		t.Errorf("offline status reads %q, want %q", text, want)
	}
	b.Run(browsertest.Click("status-done"), b.Step("welcome"))
	b.CheckConsole()
}

// lookUp asks for an email's status from the welcome screen, typing it on
// the page's own keyboard.
func lookUp(b *browsertest.Tab, email string) {
	b.Run(b.Step("welcome"), browsertest.Click("check-status"), b.Step("status"),
		browsertest.Click("status-email-input"), browsertest.Keys(email), browsertest.Click("status-lookup"))
}

// TestBrowser_NoAccountAdviceBeforePhotos: an email verifyd has no account
// for is caught on the email step, before any photo, with the help page's
// advice (another address, a typo, a second account); a typo in the domain
// gets its "did you mean" first.
func TestBrowser_NoAccountAdviceBeforePhotos(t *testing.T) {
	e := newEnv(t, nil)
	e.startVerifyd()
	e.startKioskd()
	b := browsertest.New(t)
	b.Run(browsertest.Navigate(e.kioskURL()+"/"), b.Step("welcome"),
		browsertest.Click("start"), b.Step("consent"), browsertest.Click("consent-accept"), b.Step("email"),
		browsertest.Click("email-input"), browsertest.Keys("someone.else@yahooo.com"), browsertest.Click("email-next"),
		browsertest.Visible(`[data-testid="email-suggestion"]`),
	)
	if text, want := b.Text("email-suggestion"), i18n.Lookup("en", "email.did_you_mean", map[string]string{"email": "someone.else@yahoo.com"}); !bytes.Contains([]byte(text), []byte(want)) {
		t.Errorf("typo hint reads %q, want %q", text, want)
	}
	b.Run(browsertest.Click("email-use-suggestion"),
		browsertest.Visible(`[data-testid="email-no-account"]`),
		browsertest.Message(session.KeyEmailNoAccount))
	advice := b.Text("email-no-account")
	for _, key := range []string{"email.advice_other", "email.advice_typo", "email.advice_second"} {
		if want := i18n.Lookup("en", key, nil); !bytes.Contains([]byte(advice), []byte(want)) {
			t.Errorf("no-account advice %q lacks %q", advice, want)
		}
	}
	if st := e.state(); st.Step != session.StepEmail || st.Account != session.AccountNone || st.Email != "someone.else@yahoo.com" {
		t.Errorf("kiosk state: step %s account %s email %q, want the email step, no account, the corrected address", st.Step, st.Account, st.Email)
	}
	// The learner may still go on (the help page's "second account" case).
	b.Run(browsertest.Click("email-continue"), b.Step("name"))
	b.CheckConsole()
}
