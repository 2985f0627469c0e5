package e2e

import (
	"fmt"
	"testing"

	"github.com/idkiosk/idkiosk/kiosk-ui/browsertest"
	"github.com/idkiosk/idkiosk/sync/api"
)

// TestBrowser_LearnerCompletesProfile is the whole product in one test: a
// learner taps through the kiosk page in Chromium, in English with a
// one-sided ID and in French with a two-sided one; the profile is sealed,
// queued, delivered, and the service decrypts exactly what was entered,
// with photos that decode at the camera's size.
func TestBrowser_LearnerCompletesProfile(t *testing.T) {
	e := newEnv(t, map[string]string{"camera.width": "640", "camera.height": "480"})
	e.startVerifyd()
	e.startKioskd()

	cases := []struct {
		lang     string
		twoSided bool
		typed    string // what the learner types for the email
		email    string // what the profile must carry
		name     string
	}{
		// A typo the kiosk catches (gmial.com), and an address the service
		// has no account for: the learner is told and goes on.
		{"en", false, "ana@gmial.com", "ana@gmail.com", "Ana María Pérez"},
		// A known account, accents and a typographic apostrophe.
		{"fr", true, "learner@example.com", "learner@example.com", "Zoë D’Arcy"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/two-sided=%v", tc.lang, tc.twoSided), func(t *testing.T) {
			b := browsertest.New(t)
			b.Run(browsertest.Navigate(e.kioskURL() + "/"))
			b.Run(b.PickLanguage(tc.lang)...)
			b.Run(
				browsertest.Click("start"),
				b.Step("consent"),
				browsertest.Click("consent-accept"),
				b.Step("email"),
				browsertest.Type("email-input", tc.typed),
				browsertest.Click("email-next"),
			)
			if tc.typed != tc.email {
				b.Run(browsertest.Click("email-use-suggestion"))
			}
			if tc.email == "ana@gmail.com" {
				b.Run(
					browsertest.Visible(`[data-testid="email-no-account"]`),
					browsertest.Click("email-continue"),
				)
			}
			b.Run(
				b.Step("name"),
				browsertest.Type("name-input", tc.name),
				browsertest.Click("name-next"),
			)
			b.Run(b.ChooseID("national_id", tc.twoSided)...)
			b.Run(b.TakePhotos(tc.twoSided)...)
			b.Run(browsertest.Click("submit"), b.Step("receipt"))
			ref := b.Text("receipt-reference")
			b.Run(
				browsertest.Click("finish"),
				b.Step("welcome"),
				// The card is still in the cradle: the next learner must not
				// walk off with it.
				browsertest.Message("card_left_behind"),
				browsertest.Click("demo-toggle"),
				browsertest.Click("demo-remove"),
			)
			b.CheckConsole()

			got := e.arrived(ref)[ref]
			if got.Stores != 1 {
				t.Errorf("stored %d times, want exactly once", got.Stores)
			}
			p := e.profile(got.ID)
			if p.FullName != tc.name || p.Email != tc.email || p.Language != tc.lang || p.TwoSided != tc.twoSided || p.IDType != api.IDNationalCard {
				t.Errorf("service has %q <%s> lang %s two-sided %v %s; want %q <%s> %s %v national_id",
					p.FullName, p.Email, p.Language, p.TwoSided, p.IDType, tc.name, tc.email, tc.lang, tc.twoSided)
			}
			checkPhotos(t, p, tc.twoSided, "")
		})
	}
	if n := len(e.received()); n != len(cases) {
		t.Errorf("service holds %d profiles, want %d", n, len(cases))
	}
	e.stop(e.kioskd)
	e.stop(e.verifyd)
}
