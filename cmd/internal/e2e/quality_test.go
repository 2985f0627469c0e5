package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/idkiosk/idkiosk/capture/quality"
	"github.com/idkiosk/idkiosk/capture/quality/qualitytest"
	"github.com/idkiosk/idkiosk/kiosk-ui/browsertest"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
)

// copyCascade puts pigo's face cascade beside the test binaries, where the
// dev stack points kioskd (as make build does for bin/).
func copyCascade(dir string) error {
	src, err := qualitytest.CascadePath()
	if err != nil {
		return fmt.Errorf("e2e: kioskd needs pigo's face cascade: %w", err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "facefinder"), b, 0o644)
}

// scene pins what the simulated camera shows, as the demo panel does.
func (e *env) scene(name string) {
	e.t.Helper()
	resp := e.post("/api/demo/scene", fmt.Appendf(nil, `{"scene":%q}`, name))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("demo scene %s: status %d", name, resp.StatusCode)
	}
}

// toFaceStep walks the page API to the face step of a one-sided ID.
func (e *env) toFaceStep() {
	e.t.Helper()
	e.do(session.Action{Type: session.ActStart})
	e.do(session.Action{Type: session.ActConsentAccept})
	e.do(session.Action{Type: session.ActEmailSubmit, Email: "learner@example.com"})
	e.waitState("email checked", func(s session.State) bool { return !s.Checking && s.Step == session.StepName })
	e.do(session.Action{Type: session.ActNameSubmit, Name: "Ana María Pérez"})
	e.do(session.Action{Type: session.ActIDTypeSubmit, IDType: api.IDPassport})
	e.waitState("face step", func(s session.State) bool { return s.Step == session.StepFace })
}

// TestBrowser_GuidanceThenAutoCapture is Done-when 2 of the quality
// issue: the real kioskd with the simulated camera, driven in Chromium.
// The camera is pinned to the dark scene from the demo panel and the page
// shows and announces "too dark" without taking a photo; switched to the
// face scene, the kiosk takes the photo by itself. Nobody taps "Take
// photo". The profile that arrives carries the verdict.
func TestBrowser_GuidanceThenAutoCapture(t *testing.T) {
	e := newEnv(t, nil)
	e.startVerifyd()
	e.startKioskd()
	b := browsertest.New(t)
	b.Run(browsertest.Navigate(e.kioskURL() + "/"))
	b.Run(
		b.Step("welcome"),
		browsertest.Click("start"),
		b.Step("consent"),
		browsertest.Click("consent-accept"),
		b.Step("email"),
		browsertest.Type("email-input", "learner@example.com"),
		browsertest.Click("email-next"),
		b.Step("name"),
		browsertest.Type("name-input", "Zoë D’Arcy"),
		browsertest.Click("name-next"),
	)
	// Pin the dark scene from the demo panel before the face step starts,
	// so no good frame is ever seen there.
	b.Run(b.Step("idtype"), pickScene("dark"))
	b.Run(b.ChooseID("passport", false)...)
	b.Run(b.Step("face"))

	tooDark := i18n.Lookup("en", quality.KeyTooDark, nil)
	b.Run(
		browsertest.Visible(fmt.Sprintf(`[data-testid="guidance"][data-key="%s"]`, quality.KeyTooDark)),
		// Screen readers hear it: the page's aria-live region says it.
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById("announcer").textContent === %q`, tooDark)),
	)
	if got := b.Text("guidance"); got != tooDark {
		t.Errorf("guidance text %q, want %q", got, tooDark)
	}
	st := e.state()
	if st.Pending != nil || st.Quality == nil || st.Quality.Guidance != quality.KeyTooDark {
		t.Fatalf("kiosk state in the dark: pending %v quality %+v, want no photo and %q", st.Pending, st.Quality, quality.KeyTooDark)
	}

	// Good light: the kiosk captures on its own.
	b.Run(
		pickScene("face"),
		browsertest.Visible(`img[data-testid="photo"]`),
		browsertest.Click("accept-photo"),
		b.Step("id_photo"),
		pickScene("auto"),
		browsertest.Click("demo-toggle"), browsertest.Click("demo-place"),
		browsertest.Visible(`img[data-testid="photo"]`),
		browsertest.Click("accept-photo"),
		b.Step("review"),
		browsertest.Click("submit"),
		b.Step("receipt"),
	)
	ref := b.Text("receipt-reference")
	b.Run(browsertest.Click("finish"), b.Step("welcome"), browsertest.Click("demo-toggle"), browsertest.Click("demo-remove"))
	b.CheckConsole()

	p := e.profile(e.arrived(ref)[ref].ID)
	face := p.Quality.Photo(api.PhotoFace)
	if p.Quality == nil || face == nil || !face.Passed || face.Capture != "auto" || face.Attempts != 1 || face.Override != nil {
		t.Errorf("face quality at the service: %+v, want passed on the first, automatic capture", face)
	}
	if id := p.Quality.Photo(api.PhotoIDPhotoSide); id == nil || !id.Passed {
		t.Errorf("ID quality at the service: %+v, want passed", id)
	}
}

// TestBrowser_StaffOverride: after three failed photos the page offers
// staff the override; the staff PIN on the page's keypad unlocks staff
// mode, a name and a reason typed on the page's own keyboard accept the
// last photo, and the profile says who and why.
func TestBrowser_StaffOverride(t *testing.T) {
	e := newEnv(t, nil)
	e.startVerifyd()
	e.startKioskd()
	b := browsertest.New(t)
	b.Run(browsertest.Navigate(e.kioskURL() + "/"))
	e.scene("dark")
	// The learner's steps through the page API; the page follows.
	e.toFaceStep()
	b.Run(b.Step("face"), browsertest.Visible(fmt.Sprintf(`[data-testid="guidance"][data-key="%s"]`, quality.KeyTooDark)))
	for n := 1; n <= 3; n++ {
		e.do(session.Action{Type: session.ActCapture})
		e.waitState("capture judged", func(s session.State) bool {
			return !s.Capturing && s.Quality != nil && s.Quality.Failed == n
		})
	}
	b.Run(
		browsertest.Visible(`[data-testid="quality-failed"]`),
		browsertest.Click("staff-open"),
		browsertest.Visible(`[data-testid="staff-form"]`),
		pinKeys(e.s.StaffPIN),
		browsertest.Click("staff-unlock"),
		browsertest.Visible(`[data-testid="staff-name"]`),
		browsertest.Click("staff-name"),
		browsertest.Keys("proctor 7"),
		browsertest.Click("staff-reason"),
		browsertest.Keys("lamp broken"),
		browsertest.Click("staff-accept"),
		browsertest.Visible(`img[data-testid="photo"]`),
		browsertest.Click("accept-photo"),
		b.Step("id_photo"),
	)
	e.scene("auto")
	b.Run(
		browsertest.Click("demo-toggle"), browsertest.Click("demo-place"),
		browsertest.Visible(`img[data-testid="photo"]`),
		browsertest.Click("accept-photo"),
		b.Step("review"),
		browsertest.Click("submit"),
		b.Step("receipt"),
	)
	ref := b.Text("receipt-reference")
	b.Run(browsertest.Click("finish"), b.Step("welcome"), browsertest.Click("demo-toggle"), browsertest.Click("demo-remove"))
	b.CheckConsole()

	face := e.profile(e.arrived(ref)[ref].ID).Quality.Photo(api.PhotoFace)
	if face == nil || face.Override == nil || face.Override.Staff != "proctor 7" || face.Override.Reason != "lamp broken" {
		t.Errorf("face report at the service %+v, want the override by proctor 7 for \"lamp broken\"", face)
	}
}

// pickScene chooses a scene in the demo panel's drop-down, as a person
// would (the change event posts it to kioskd).
func pickScene(name string) browsertest.Action {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const s = document.querySelector('[data-testid="demo-scene"]');
		s.value = %q;
		s.dispatchEvent(new Event("change"));
	})()`, name))
}

// TestAPI_FailedPhotoOnlyWithStaffOverride is Done-when 3: straight at
// kioskd's HTTP API, with no page in the way, a photo that failed its
// checks cannot be accepted, fetched or submitted; after three failures
// staff accept it in staff mode (unlocked with the staff PIN), and the
// service receives the override (who, when, why, which checks) inside the
// sealed profile.
func TestAPI_FailedPhotoOnlyWithStaffOverride(t *testing.T) {
	e := newEnv(t, nil)
	e.startVerifyd()
	e.startKioskd()
	e.scene("dark")
	e.toFaceStep()
	e.waitState("too dark", func(s session.State) bool { return s.Quality != nil && s.Quality.Guidance == quality.KeyTooDark })

	for n := 1; n <= 3; n++ {
		// Early taps included: a capture is judged whenever it comes.
		st, code := e.tryDo(session.Action{Type: session.ActCapture})
		if code != http.StatusOK {
			t.Fatalf("capture %d: status %d", n, code)
		}
		st = e.waitState(fmt.Sprintf("capture %d judged", n), func(s session.State) bool {
			return !s.Capturing && s.Quality != nil && s.Quality.Failed == n
		})
		if st.Pending != nil || st.Message == nil || st.Message.Key != quality.KeyTooDark {
			t.Fatalf("capture %d in the dark: pending %v message %+v, want no photo and %q", n, st.Pending, st.Message, quality.KeyTooDark)
		}
		if _, code := e.tryDo(session.Action{Type: session.ActAcceptPhoto}); code != http.StatusConflict {
			t.Errorf("accept after failed capture %d: status %d, want 409", n, code)
		}
		if code := e.pageStatus("/api/photos/pending.jpg"); code != http.StatusNotFound {
			t.Errorf("the failed photo is served at /api/photos/pending.jpg: status %d, want 404", code)
		}
		for _, a := range []session.Action{{Type: session.ActSubmit}, {Type: session.ActEdit, Step: session.StepReview}} {
			if _, code := e.tryDo(a); code == http.StatusOK {
				t.Errorf("%s after failed capture %d: 200, want a refusal", a.Type, n)
			}
		}
		wantOffer := n >= 3
		if st.Quality.Override != wantOffer {
			t.Errorf("after %d failures: override offered %v, want %v", n, st.Quality.Override, wantOffer)
		}
	}

	override := session.Action{Type: session.ActStaffOverride, Staff: "Proctor 7", Reason: "Booth light broken; face checked by eye"}
	if st, code := e.tryDo(override); code != http.StatusUnprocessableEntity || st.Pending != nil || st.Message == nil || st.Message.Key != session.KeyStaffUnlockFirst {
		t.Fatalf("override with staff mode locked: status %d pending %v message %+v, want 422 %q and no photo", code, st.Pending, st.Message, session.KeyStaffUnlockFirst)
	}
	e.do(session.Action{Type: session.ActStaffUnlock, PIN: e.s.StaffPIN + "9"})
	if st := e.waitState("the wrong PIN judged", func(s session.State) bool { return s.Staff != nil && !s.Staff.Checking }); st.Staff.Unlocked ||
		st.Message == nil || st.Message.Key != session.KeyStaffPINWrong {
		t.Fatalf("a wrong PIN: staff %+v message %+v, want locked and %q", st.Staff, st.Message, session.KeyStaffPINWrong)
	}
	e.unlockStaff()
	st := e.do(override)
	if st.Pending == nil {
		t.Fatalf("override: no photo to accept")
	}
	e.do(session.Action{Type: session.ActAcceptPhoto})
	e.scene("auto")
	e.capture(session.StepIDPhoto, true)
	e.waitState("review", func(s session.State) bool { return s.Step == session.StepReview })
	e.do(session.Action{Type: session.ActSubmit})
	st = e.waitState("receipt", func(s session.State) bool { return s.Step == session.StepReceipt })
	ref := st.Receipt.Reference
	e.do(session.Action{Type: session.ActFinish})
	e.cradle(false)

	p := e.profile(e.arrived(ref)[ref].ID)
	face := p.Quality.Photo(api.PhotoFace)
	if face == nil || face.Override == nil {
		t.Fatalf("face quality at the service %+v, want a staff override", face)
	}
	o := face.Override
	if face.Passed || face.Attempts != 3 || face.Failed != 3 || o.Staff != "Proctor 7" || o.Reason != override.Reason ||
		o.At.IsZero() || !slices.Contains(o.Failed, "brightness") {
		t.Errorf("face report %+v with override %+v; want failed, 3 attempts, 3 failed, who, when, why and brightness", face, o)
	}
	if !strings.Contains(e.reviewPage(p.ID), "Proctor 7") {
		t.Errorf("the review page does not show who overrode the check")
	}
	// The logs name the override but never the staff member or the reason.
	logs := e.logs.String()
	if !strings.Contains(logs, "staff accepted a photo that failed a check") || strings.Contains(logs, "Proctor 7") || strings.Contains(logs, "Booth light broken") {
		t.Errorf("kioskd's log: want the override noted without who or why")
	}
}

// pageStatus GETs a kiosk path and returns the status code.
func (e *env) pageStatus(path string) int {
	e.t.Helper()
	resp, err := http.Get(e.kioskURL() + path)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// reviewPage returns verifyd's HTML review page of a profile.
func (e *env) reviewPage(id string) string {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.s.ServiceURL()+"/review/profiles/"+id, nil)
	req.SetBasicAuth("reviewer", e.s.ReviewPassword)
	resp, err := e.s.HTTPClient().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("review page: status %d", resp.StatusCode)
	}
	return b.String()
}
