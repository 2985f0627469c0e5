package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/idkiosk/idkiosk/kiosk-ui/browsertest"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// TestBrowser_CardLeftBehind follows the "card left behind" warning from
// the next learner's point of view, with the simulated cradle: a learner
// finishes with their ID still in the cradle; the welcome screen warns,
// in the catalogue's words; the warning is the kiosk's state, so a reload
// of the page keeps it; it goes as soon as the card is taken out.
func TestBrowser_CardLeftBehind(t *testing.T) {
	e := newEnv(t, nil)
	e.startVerifyd()
	e.startKioskd()

	// The ID photo is taken in the cradle, and the card stays there.
	e.walkToReview("learner@example.com", "Card Owner", false)
	e.do(session.Action{Type: session.ActSubmit})
	e.waitState("receipt", func(s session.State) bool { return s.Step == session.StepReceipt })
	if !e.state().Cradle.Present {
		t.Fatal("the card is not in the cradle at the receipt")
	}

	b := browsertest.New(t)
	warning := `[data-testid="message"][data-key="card_left_behind"]`
	b.Run(
		browsertest.Navigate(e.kioskURL()+"/"),
		b.Step("receipt"),
		browsertest.Click("finish"),
		b.Step("welcome"),
		browsertest.Message("card_left_behind"),
	)
	if got, want := b.Text("message"), i18n.Lookup("en", "card_left_behind", nil); got != want {
		t.Errorf("warning text %q, want the catalogue's %q", got, want)
	}
	b.Run(
		browsertest.Navigate(e.kioskURL()+"/"),
		b.Step("welcome"),
		browsertest.Message("card_left_behind"),
	)

	e.cradle(false) // the owner, or staff, takes the card
	b.Run(chromedp.WaitNotPresent(chromedp.CSS(warning)))
	if st := e.state(); st.Message != nil {
		t.Errorf("message %+v after the card was taken, want none", st.Message)
	}
	b.CheckConsole()
	e.stop(e.kioskd)
	e.stop(e.verifyd)
}
