package session

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/sync/api"
)

func TestFlow_OneSided_EndToEnd(t *testing.T) {
	r := newRig(t)
	if st := r.s.State(); st.Step != StepWelcome || st.Lang != "en" {
		t.Fatalf("new session: step %s lang %s, want welcome en", st.Step, st.Lang)
	}
	r.do(Action{Type: ActSetLanguage, Lang: "fr"})
	if got := r.do(Action{Type: ActStart}).Step; got != StepConsent {
		t.Fatalf("after start: step %s, want consent", got)
	}
	if got := r.cradle.Status(); got != cradle.StatusBusy {
		t.Errorf("cradle status during a session = %v, want busy", got)
	}
	r.do(Action{Type: ActConsentAccept})
	st := r.do(Action{Type: ActEmailSubmit, Email: "  ana@Example.ORG "})
	if !st.Checking {
		t.Errorf("after email submit: checking = false, want true while the lookup runs")
	}
	st = r.waitStep(StepName)
	if st.Email != "ana@example.org" || st.Account != AccountExists || !st.Online {
		t.Errorf("after lookup: email %q account %s online %v, want ana@example.org exists true", st.Email, st.Account, st.Online)
	}
	st = r.do(Action{Type: ActNameSubmit, Name: "  Ana   María  Pérez "})
	if st.Step != StepIDType || st.Name != "Ana María Pérez" {
		t.Fatalf("after name: step %s name %q, want idtype %q", st.Step, st.Name, "Ana María Pérez")
	}
	st = r.do(Action{Type: ActIDTypeSubmit, IDType: api.IDPassport})
	if st.Step != StepFace || !st.Live || len(st.Photos) != 2 {
		t.Fatalf("after idtype: step %s live %v photos %d, want face true 2", st.Step, st.Live, len(st.Photos))
	}

	// Face: capture, look at it, retake, accept.
	st = r.do(Action{Type: ActCapture})
	if !st.Capturing || st.CaptureMode != modeHand {
		t.Errorf("capturing %v mode %q, want true hand", st.Capturing, st.CaptureMode)
	}
	st = r.waitPending()
	if st.Pending.Kind != api.PhotoFace || st.Pending.Width != 1280 || st.Live {
		t.Errorf("pending = %+v live %v, want a 1280-wide face photo and live off", st.Pending, st.Live)
	}
	first, _, _ := r.s.PendingPhoto()
	st = r.do(Action{Type: ActRetake})
	if st.Pending != nil || !st.Live {
		t.Errorf("after retake: pending %+v live %v, want none and live", st.Pending, st.Live)
	}
	r.do(Action{Type: ActCapture})
	r.waitPending()
	second, _, _ := r.s.PendingPhoto()
	if bytes.Equal(first, second) {
		t.Errorf("retake gave the same photo bytes")
	}
	st = r.do(Action{Type: ActAcceptPhoto})
	if st.Step != StepIDPhoto || !st.Photos[api.PhotoFace].Present {
		t.Fatalf("after accept: step %s face %+v, want id_photo with a face photo", st.Step, st.Photos[api.PhotoFace])
	}

	// ID photo from the cradle.
	r.placeCard()
	st = r.do(Action{Type: ActAcceptPhoto})
	if st.Step != StepReview {
		t.Fatalf("one-sided ID after the ID photo: step %s, want review", st.Step)
	}

	st = r.do(Action{Type: ActSubmit})
	if st.Step != StepSaving {
		t.Errorf("after submit: step %s, want saving", st.Step)
	}
	st = r.waitStep(StepReceipt)
	copies := r.saver.Copies()
	if len(copies) != 1 {
		t.Fatalf("saver got %d profiles, want 1", len(copies))
	}
	p := copies[0]
	if st.Receipt == nil || st.Receipt.Reference != api.ReferenceCode(p.ID) || st.Receipt.Reference == "" {
		t.Errorf("receipt %+v, want reference %s", st.Receipt, api.ReferenceCode(p.ID))
	}
	if err := p.Validate(); err != nil {
		t.Errorf("saved profile does not validate: %v", err)
	}
	want := api.Profile{ID: p.ID, DeviceID: "kiosk-test", Language: "fr", Email: "ana@example.org",
		FullName: "Ana María Pérez", IDType: api.IDPassport}
	if p.DeviceID != want.DeviceID || p.Language != want.Language || p.Email != want.Email ||
		p.FullName != want.FullName || p.IDType != want.IDType || p.TwoSided {
		t.Errorf("profile = %+v, want %+v", p, want)
	}
	if !p.Created.Equal(r.clock.Now()) {
		t.Errorf("profile created %v, want the submit time %v", p.Created, r.clock.Now())
	}
	if !bytes.Equal(p.Photo(api.PhotoFace).JPEG, second) {
		t.Errorf("face photo in the profile is not the accepted retake")
	}
	if st.Name != "" || st.Email != "" {
		t.Errorf("receipt state still holds name %q email %q", st.Name, st.Email)
	}
	st = r.do(Action{Type: ActFinish})
	if st.Step != StepWelcome || st.Lang != "en" {
		t.Errorf("after finish: step %s lang %s, want welcome en", st.Step, st.Lang)
	}
}

func TestFlow_TwoSided_EndToEnd(t *testing.T) {
	r := newRig(t)
	st := r.toFace(true)
	if !st.TwoSided || len(st.Photos) != 3 {
		t.Fatalf("two-sided: two_sided %v photos %d, want true 3", st.TwoSided, len(st.Photos))
	}
	r.takePhoto() // face with the ID's photo side
	r.placeCard() // photo side
	st = r.do(Action{Type: ActAcceptPhoto})
	if st.Step != StepIDName {
		t.Fatalf("two-sided after the photo side: step %s, want id_name", st.Step)
	}
	// The card still lying photo side up must not be captured again.
	if st.Capturing {
		t.Errorf("id_name started capturing the card still in the cradle")
	}
	r.removeCard()
	r.placeCard() // name side
	st = r.do(Action{Type: ActAcceptPhoto})
	if st.Step != StepReview {
		t.Fatalf("after the name side: step %s, want review", st.Step)
	}
	for _, k := range api.RequiredPhotos(true) {
		if !st.Photos[k].Present {
			t.Errorf("review: %s photo missing", k)
		}
	}
	r.do(Action{Type: ActSubmit})
	r.waitStep(StepReceipt)
	p := r.saver.Copies()[0]
	if !p.TwoSided || len(p.Photos) != 3 {
		t.Errorf("profile two_sided %v with %d photos, want true 3", p.TwoSided, len(p.Photos))
	}
	if err := p.Validate(); err != nil {
		t.Errorf("saved profile does not validate: %v", err)
	}
}

func TestFlow_HoldToCameraWithoutCradle(t *testing.T) {
	r := newRig(t, withoutCradle())
	r.toFace(false)
	r.takePhoto()
	st := r.do(Action{Type: ActCapture})
	if st.CaptureMode != modeHand || st.Cradle.Available {
		t.Errorf("no cradle: mode %q cradle available %v, want hand false", st.CaptureMode, st.Cradle.Available)
	}
	r.waitPending()
	if got := r.do(Action{Type: ActAcceptPhoto}).Step; got != StepReview {
		t.Errorf("step %s, want review", got)
	}
}

func TestDo_NotAllowed(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *rig)
		act   Action
	}{
		{"back on welcome", nil, Action{Type: ActBack}},
		{"submit on welcome", nil, Action{Type: ActSubmit}},
		{"capture on welcome", nil, Action{Type: ActCapture}},
		{"unknown action", nil, Action{Type: "upload_photo"}},
		{"start twice", func(r *rig) { r.do(Action{Type: ActStart}) }, Action{Type: ActStart}},
		{"email before consent", func(r *rig) { r.do(Action{Type: ActStart}) }, Action{Type: ActEmailSubmit, Email: "a@b.org"}},
		{"name on email step", func(r *rig) {
			r.do(Action{Type: ActStart})
			r.do(Action{Type: ActConsentAccept})
		}, Action{Type: ActNameSubmit, Name: "Ana"}},
		{"confirm without a suggestion", func(r *rig) {
			r.do(Action{Type: ActStart})
			r.do(Action{Type: ActConsentAccept})
		}, Action{Type: ActEmailConfirm, UseSuggestion: true}},
		{"continue without the no-account answer", func(r *rig) {
			r.do(Action{Type: ActStart})
			r.do(Action{Type: ActConsentAccept})
		}, Action{Type: ActEmailContinue}},
		{"accept with nothing captured", func(r *rig) { r.toFace(false) }, Action{Type: ActAcceptPhoto}},
		{"retake with nothing captured", func(r *rig) { r.toFace(false) }, Action{Type: ActRetake}},
		{"capture of another kind", func(r *rig) { r.toFace(false) }, Action{Type: ActCapture, Kind: api.PhotoIDPhotoSide}},
		{"capture twice", func(r *rig) {
			r.toFace(false)
			r.camera.set(true, nil)
			r.do(Action{Type: ActCapture})
		}, Action{Type: ActCapture}},
		{"capture with a photo pending", func(r *rig) {
			r.toFace(false)
			r.do(Action{Type: ActCapture})
			r.waitPending()
		}, Action{Type: ActCapture}},
		{"edit the name side of a one-sided ID", func(r *rig) { r.toReview() }, Action{Type: ActEdit, Step: StepIDName}},
		{"edit welcome", func(r *rig) { r.toReview() }, Action{Type: ActEdit, Step: StepWelcome}},
		{"retake a photo the ID does not need", func(r *rig) { r.toReview() }, Action{Type: ActRetake, Kind: api.PhotoIDNameSide}},
		{"edit from the name step", func(r *rig) { r.toFace(false); r.do(Action{Type: ActBack}); r.do(Action{Type: ActBack}) }, Action{Type: ActEdit, Step: StepEmail}},
		{"finish before the receipt", func(r *rig) { r.toReview() }, Action{Type: ActFinish}},
		{"back while saving", func(r *rig) {
			r.saver.gate = make(chan error, 1)
			r.toReview()
			r.do(Action{Type: ActSubmit})
			r.t.Cleanup(func() { r.saver.gate <- nil })
		}, Action{Type: ActBack}},
		{"submit twice", func(r *rig) {
			r.saver.gate = make(chan error, 1)
			r.toReview()
			r.do(Action{Type: ActSubmit})
			r.t.Cleanup(func() { r.saver.gate <- nil })
		}, Action{Type: ActSubmit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			if tt.setup != nil {
				tt.setup(r)
			}
			before := r.s.State()
			got, err := r.s.Do(context.Background(), tt.act)
			if !errors.Is(err, ErrNotAllowed) {
				t.Fatalf("Do(%+v) in step %s: err = %v, want ErrNotAllowed", tt.act, before.Step, err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Key != KeyActionNotAllowed {
				t.Errorf("error key: got %v, want %s", err, KeyActionNotAllowed)
			}
			if got.Rev != before.Rev || got.Step != before.Step {
				t.Errorf("a refused action changed the state: rev %d->%d step %s->%s", before.Rev, got.Rev, before.Step, got.Step)
			}
		})
	}
}

func TestDo_InvalidInputSetsMessage(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(r *rig)
		act     Action
		wantKey string
	}{
		{"unknown language", nil, Action{Type: ActSetLanguage, Lang: "de"}, KeyInvalidLanguage},
		{"empty email", func(r *rig) { r.do(Action{Type: ActStart}); r.do(Action{Type: ActConsentAccept}) },
			Action{Type: ActEmailSubmit, Email: "  "}, KeyEmailEmpty},
		{"malformed email", func(r *rig) { r.do(Action{Type: ActStart}); r.do(Action{Type: ActConsentAccept}) },
			Action{Type: ActEmailSubmit, Email: "ana@@example.org"}, KeyEmailInvalid},
		{"empty name", func(r *rig) { r.toFace(false); r.do(Action{Type: ActBack}); r.do(Action{Type: ActBack}) },
			Action{Type: ActNameSubmit, Name: " \u00a0 "}, KeyNameEmpty},
		{"unknown id type", func(r *rig) { r.toFace(false); r.do(Action{Type: ActBack}) },
			Action{Type: ActIDTypeSubmit, IDType: "library_card"}, KeyIDTypeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			if tt.setup != nil {
				tt.setup(r)
			}
			before := r.s.State()
			st, err := r.s.Do(context.Background(), tt.act)
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("err = %v, want ErrInvalidInput", err)
			}
			if st.Message == nil || st.Message.Key != tt.wantKey {
				t.Errorf("message = %+v, want key %s", st.Message, tt.wantKey)
			}
			if st.Step != before.Step {
				t.Errorf("step %s -> %s, want it unchanged", before.Step, st.Step)
			}
		})
	}
}

func TestBack_WalksTheFlowBackwards(t *testing.T) {
	r := newRig(t)
	r.toFace(true)
	r.takePhoto()
	r.placeCard()
	r.do(Action{Type: ActAcceptPhoto}) // -> id_name
	r.removeCard()
	r.placeCard()
	r.do(Action{Type: ActAcceptPhoto}) // -> review
	want := []Step{StepIDName, StepIDPhoto, StepFace, StepIDType, StepName, StepEmail, StepConsent, StepWelcome}
	for _, w := range want {
		st := r.do(Action{Type: ActBack})
		if st.Step != w {
			t.Fatalf("back: step %s, want %s", st.Step, w)
		}
		if w == StepIDName || w == StepIDPhoto || w == StepFace {
			// Going back shows the photo already taken, not a new capture.
			if st.Live || st.Capturing {
				t.Errorf("back to %s: live %v capturing %v, want the accepted photo shown", w, st.Live, st.Capturing)
			}
		}
	}
	if st := r.s.State(); st.Name != "" || st.Photos[api.PhotoFace].Present {
		t.Errorf("back past consent kept name %q / photos", st.Name)
	}
}

func TestBack_ForwardAgainKeepsPhotos(t *testing.T) {
	r := newRig(t)
	r.toFace(false)
	r.takePhoto()
	r.do(Action{Type: ActBack}) // face, showing the accepted photo
	st := r.do(Action{Type: ActAcceptPhoto})
	if st.Step != StepIDPhoto || !st.Photos[api.PhotoFace].Present {
		t.Errorf("use this photo on a revisit: step %s face %+v, want id_photo with face kept", st.Step, st.Photos[api.PhotoFace])
	}
}

func TestEdit_ReturnsToReview(t *testing.T) {
	tests := []struct {
		name  string
		edit  Action
		then  []Action
		check func(t *testing.T, st State)
	}{
		{"name", Action{Type: ActEdit, Step: StepName}, []Action{{Type: ActNameSubmit, Name: "Ana Pérez"}},
			func(t *testing.T, st State) {
				if st.Name != "Ana Pérez" {
					t.Errorf("name %q, want Ana Pérez", st.Name)
				}
			}},
		{"id type", Action{Type: ActEdit, Step: StepIDType}, []Action{{Type: ActIDTypeSubmit, IDType: api.IDDrivingLicence}},
			func(t *testing.T, st State) {
				if st.IDType != api.IDDrivingLicence {
					t.Errorf("id type %s, want driving_licence", st.IDType)
				}
			}},
		{"back from an edit keeps the old value", Action{Type: ActEdit, Step: StepName}, []Action{{Type: ActBack}},
			func(t *testing.T, st State) {
				if st.Name != "Ana María Pérez" {
					t.Errorf("name %q, want the old one", st.Name)
				}
			}},
		{"retake the face", Action{Type: ActRetake, Kind: api.PhotoFace}, []Action{{Type: ActCapture}, {Type: ActAcceptPhoto}},
			func(t *testing.T, st State) {
				if st.Photos[api.PhotoFace].Rev < 3 {
					t.Errorf("face rev %d, want a new capture", st.Photos[api.PhotoFace].Rev)
				}
			}},
		{"back from a retake keeps the old photo", Action{Type: ActRetake, Kind: api.PhotoIDPhotoSide}, []Action{{Type: ActBack}},
			func(t *testing.T, st State) {
				if got := st.Photos[api.PhotoIDPhotoSide]; !got.Present || got.Rev != 2 {
					t.Errorf("id photo %+v, want the old one (rev 2)", got)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			r.toReview()
			st := r.do(tt.edit)
			if !st.ReturnToReview {
				t.Errorf("return_to_review = false after %s", tt.edit.Type)
			}
			for _, a := range tt.then {
				st = r.do(a)
				if a.Type == ActCapture {
					st = r.waitPending()
				}
			}
			if st.Step != StepReview || st.ReturnToReview {
				t.Fatalf("after the edit: step %s return_to_review %v, want review false", st.Step, st.ReturnToReview)
			}
			tt.check(t, st)
		})
	}
}

func TestEdit_OneSidedToTwoSidedNeedsNewPhotos(t *testing.T) {
	r := newRig(t)
	r.toReview()
	r.do(Action{Type: ActEdit, Step: StepIDType})
	st := r.do(Action{Type: ActIDTypeSubmit, IDType: api.IDNationalCard, TwoSided: true})
	if st.Step != StepFace || st.Photos[api.PhotoFace].Present || !st.Live {
		t.Fatalf("step %s face %+v live %v: a two-sided ID needs a new face photo showing the ID", st.Step, st.Photos[api.PhotoFace], st.Live)
	}
	r.takePhoto()
	st = r.s.State()
	if st.Step != StepIDName {
		t.Fatalf("after the new face photo: step %s, want id_name (the ID photo side is kept)", st.Step)
	}
	r.takePhoto()
	if st := r.s.State(); st.Step != StepReview {
		t.Errorf("step %s, want review", st.Step)
	}
}

func TestEmail_TypoSuggestion(t *testing.T) {
	tests := []struct {
		name      string
		use       bool
		wantEmail string
	}{
		{"use suggestion", true, "ana@gmail.com"},
		{"keep", false, "ana@gmial.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, withoutAccounts())
			r.do(Action{Type: ActStart})
			r.do(Action{Type: ActConsentAccept})
			st := r.do(Action{Type: ActEmailSubmit, Email: "ana@gmial.com"})
			if st.Step != StepEmail || st.EmailSuggestion != "ana@gmail.com" {
				t.Fatalf("step %s suggestion %q, want email ana@gmail.com", st.Step, st.EmailSuggestion)
			}
			st = r.do(Action{Type: ActEmailConfirm, UseSuggestion: tt.use})
			if st.Step != StepName || st.Email != tt.wantEmail || st.Account != AccountUnknown {
				t.Errorf("step %s email %q account %s, want name %q unknown", st.Step, st.Email, st.Account, tt.wantEmail)
			}
		})
	}
}

func TestEmail_NoAccount(t *testing.T) {
	r := newRig(t)
	r.do(Action{Type: ActStart})
	r.do(Action{Type: ActConsentAccept})
	r.do(Action{Type: ActEmailSubmit, Email: "ana@example.net"})
	st := r.wait("lookup answer", func(st State) bool { return !st.Checking })
	if st.Step != StepEmail || st.Account != AccountNone || st.Message == nil || st.Message.Key != KeyEmailNoAccount ||
		st.Message.Params["email"] != "ana@example.net" {
		t.Fatalf("step %s account %s message %+v, want email none email_no_account", st.Step, st.Account, st.Message)
	}
	// Change the address: the learner's other one has an account.
	r.do(Action{Type: ActEmailSubmit, Email: "ana@example.org"})
	st = r.waitStep(StepName)
	if st.Account != AccountExists || st.Message != nil {
		t.Errorf("account %s message %+v, want exists and no message", st.Account, st.Message)
	}
	// Or continue with the first one.
	r.do(Action{Type: ActBack})
	r.do(Action{Type: ActEmailSubmit, Email: "ana@example.net"})
	r.wait("lookup answer", func(st State) bool { return !st.Checking })
	if got := r.do(Action{Type: ActEmailContinue}); got.Step != StepName || got.Email != "ana@example.net" {
		t.Errorf("continue: step %s email %q, want name ana@example.net", got.Step, got.Email)
	}
}

func TestEmail_OfflineContinuesSilently(t *testing.T) {
	r := newRig(t)
	r.accounts.offline = true
	r.do(Action{Type: ActStart})
	r.do(Action{Type: ActConsentAccept})
	r.do(Action{Type: ActEmailSubmit, Email: "ana@example.org"})
	st := r.waitStep(StepName)
	if st.Online || st.Account != AccountUnknown || st.Message != nil {
		t.Errorf("offline: online %v account %s message %+v, want false unknown none", st.Online, st.Account, st.Message)
	}
}

func TestEmail_LookupTimeoutContinues(t *testing.T) {
	r := newRig(t)
	r.accounts.block = make(chan struct{}) // never answers
	r.do(Action{Type: ActStart})
	r.do(Action{Type: ActConsentAccept})
	r.do(Action{Type: ActEmailSubmit, Email: "ana@example.org"})
	r.clock.Advance(DefaultLookupTimeout)
	st := r.waitStep(StepName)
	if st.Online || st.Account != AccountUnknown {
		t.Errorf("after the lookup timeout: online %v account %s, want false unknown", st.Online, st.Account)
	}
}

func TestStatus(t *testing.T) {
	updated := testTime()
	known := map[string]api.LookupResponse{
		"new@example.org":      {Exists: true},
		"pending@example.org":  {Exists: true, Verification: &api.ProfileStatus{State: api.StatePendingReview, Updated: updated}},
		"approved@example.org": {Exists: true, Verification: &api.ProfileStatus{State: api.StateApproved}},
		"rejected@example.org": {Exists: true, Verification: &api.ProfileStatus{State: api.StateRejected, Reason: "photo blurred"}},
	}
	tests := []struct {
		email      string
		offline    bool
		wantResult string
		wantReason string
	}{
		{"nobody@example.org", false, LookupNoAccount, ""},
		{"new@example.org", false, LookupNoProfile, ""},
		{"pending@example.org", false, string(api.StatePendingReview), ""},
		{"approved@example.org", false, string(api.StateApproved), ""},
		{"rejected@example.org", false, string(api.StateRejected), "photo blurred"},
		{"pending@example.org", true, LookupOffline, ""},
	}
	for _, tt := range tests {
		t.Run(tt.wantResult, func(t *testing.T) {
			r := newRig(t)
			r.accounts.known, r.accounts.offline = known, tt.offline
			if got := r.do(Action{Type: ActCheckStatus}).Step; got != StepStatus {
				t.Fatalf("check_status: step %s, want status", got)
			}
			r.do(Action{Type: ActStatusLookup, Email: tt.email})
			st := r.wait("status answer", func(st State) bool { return st.Lookup != nil })
			if st.Lookup.Result != tt.wantResult || st.Lookup.Reason != tt.wantReason {
				t.Errorf("lookup = %+v, want %s %q", st.Lookup, tt.wantResult, tt.wantReason)
			}
			st = r.do(Action{Type: ActFinish})
			if st.Step != StepWelcome || st.Email != "" || st.Lookup != nil {
				t.Errorf("after the status screen: step %s email %q lookup %+v, want welcome and nothing kept", st.Step, st.Email, st.Lookup)
			}
		})
	}
}

func TestStatus_NoAccountsIsOffline(t *testing.T) {
	r := newRig(t, withoutAccounts())
	r.do(Action{Type: ActCheckStatus})
	st := r.do(Action{Type: ActStatusLookup, Email: "ana@example.org"})
	if st.Lookup == nil || st.Lookup.Result != LookupOffline {
		t.Errorf("lookup = %+v, want offline", st.Lookup)
	}
}

func TestConsentDecline(t *testing.T) {
	r := newRig(t)
	r.do(Action{Type: ActSetLanguage, Lang: "es"})
	r.do(Action{Type: ActStart})
	st := r.do(Action{Type: ActConsentDecline})
	if st.Step != StepWelcome || st.Message == nil || st.Message.Key != KeyConsentDeclined || st.Lang != "es" {
		t.Errorf("decline: step %s message %+v lang %s, want welcome consent_declined es", st.Step, st.Message, st.Lang)
	}
	if got := r.cradle.Status(); got != cradle.StatusReady {
		t.Errorf("cradle status after decline = %v, want ready", got)
	}
}

func TestSetLanguage_EveryStep(t *testing.T) {
	r := newRig(t)
	r.toFace(false)
	if st := r.do(Action{Type: ActSetLanguage, Lang: "es"}); st.Lang != "es" || st.Step != StepFace {
		t.Errorf("set_language on face: lang %s step %s, want es face", st.Lang, st.Step)
	}
}
