package session

import (
	"context"
	"slices"

	"github.com/idkiosk/idkiosk/sync/api"
)

// apply runs one action. It must not change anything before deciding that
// the action is allowed: Do relies on that to leave the state untouched.
func (s *Session) apply(ctx context.Context, a Action) error {
	switch a.Type {
	case ActSetLanguage:
		if !slices.Contains(s.cfg.Languages, a.Lang) {
			return invalid(KeyInvalidLanguage, nil)
		}
		s.lang = a.Lang
		return nil
	case ActKeepAlive:
		return nil // Do re-arms the idle timer
	}
	if s.step == StepSaving {
		return notAllowed()
	}
	switch a.Type {
	case ActStart, ActCheckStatus:
		if s.step != StepWelcome {
			return notAllowed()
		}
		if a.Type == ActStart {
			if err := s.admit(ctx); err != nil {
				return err
			}
		}
		s.beginSession()
		if a.Type == ActStart {
			s.goTo(StepConsent)
		} else {
			s.goTo(StepStatus)
		}
		return nil
	case ActStatusLookup:
		return s.statusLookup(ctx, a.Email)
	case ActConsentAccept:
		if s.step != StepConsent {
			return notAllowed()
		}
		s.advance()
		return nil
	case ActConsentDecline:
		if s.step != StepConsent {
			return notAllowed()
		}
		s.reset(true, KeyConsentDeclined)
		return nil
	case ActEmailSubmit, ActEmailConfirm, ActEmailContinue:
		return s.emailAction(ctx, a)
	case ActNameSubmit:
		if s.step != StepName {
			return notAllowed()
		}
		name, err := NormalizeName(a.Name)
		if err != nil {
			return err
		}
		s.name = name
		s.advance()
		return nil
	case ActIDTypeSubmit:
		return s.idTypeSubmit(a)
	case ActCapture:
		return s.captureAction(ctx, a)
	case ActRetake:
		return s.retake(a)
	case ActAcceptPhoto:
		return s.acceptPhoto(a)
	case ActStaffOverride:
		return s.staffOverride(a)
	case ActStaffOpen, ActStaffUnlock, ActStaffExit:
		return s.staffAction(a)
	case ActBack:
		return s.back()
	case ActEdit:
		return s.edit(a.Step)
	case ActSubmit:
		return s.submit(ctx)
	case ActFinish:
		switch s.step {
		case StepReceipt:
			s.reset(false, "")
		case StepStatus:
			s.reset(true, "")
		default:
			return notAllowed()
		}
		return nil
	}
	return notAllowed()
}

func (s *Session) emailAction(ctx context.Context, a Action) error {
	if s.step != StepEmail || s.looking != nil {
		return notAllowed()
	}
	switch a.Type {
	case ActEmailSubmit:
		email, err := NormalizeEmail(a.Email)
		if err != nil {
			return err
		}
		s.email = email
		s.account = AccountNotChecked
		s.suggestion = SuggestEmail(email)
		if s.suggestion != "" {
			return nil // the page asks: use the suggestion, or keep what was typed?
		}
	case ActEmailConfirm:
		if s.suggestion == "" {
			return notAllowed()
		}
		if a.UseSuggestion {
			s.email = s.suggestion
		}
		s.suggestion = ""
	case ActEmailContinue:
		if s.account != AccountNone {
			return notAllowed()
		}
		s.advance()
		return nil
	}
	if s.accounts == nil {
		s.account = AccountUnknown
		s.advance()
		return nil
	}
	s.startLookup(ctx, s.email, StepEmail)
	return nil
}

func (s *Session) idTypeSubmit(a Action) error {
	if s.step != StepIDType {
		return notAllowed()
	}
	if !a.IDType.Valid() {
		return invalid(KeyIDTypeInvalid, nil)
	}
	if s.idType != "" && a.TwoSided != s.twoSided {
		// A two-sided ID needs a face photo that also shows the ID's photo
		// side, so the old face photo no longer fits; a one-sided ID has
		// no name side to keep.
		if a.TwoSided {
			s.dropPhoto(api.PhotoFace)
		} else {
			s.dropPhoto(api.PhotoIDNameSide)
		}
	}
	s.idType, s.twoSided = a.IDType, a.TwoSided
	s.advance()
	return nil
}

func (s *Session) back() error {
	if s.returnToReview && s.step != StepReview && inFlow(s.step) {
		s.goTo(StepReview)
		return nil
	}
	switch s.step {
	case StepStatus, StepConsent:
		s.reset(true, "")
	case StepEmail:
		s.goTo(StepConsent)
	case StepName:
		s.goTo(StepEmail)
	case StepIDType:
		s.goTo(StepName)
	case StepFace:
		s.goTo(StepIDType)
	case StepIDPhoto:
		s.goTo(StepFace)
	case StepIDName:
		s.goTo(StepIDPhoto)
	case StepReview:
		if s.twoSided {
			s.goTo(StepIDName)
		} else {
			s.goTo(StepIDPhoto)
		}
	default:
		return notAllowed()
	}
	return nil
}

func (s *Session) edit(step Step) error {
	if s.step != StepReview {
		return notAllowed()
	}
	switch step {
	case StepEmail, StepName, StepIDType, StepFace, StepIDPhoto:
	case StepIDName:
		if !s.twoSided {
			return notAllowed()
		}
	default:
		return notAllowed()
	}
	s.returnToReview = true
	s.goTo(step)
	return nil
}

// inFlow reports whether step is one of the steps that build a profile.
func inFlow(step Step) bool {
	switch step {
	case StepConsent, StepEmail, StepName, StepIDType, StepFace, StepIDPhoto, StepIDName, StepReview:
		return true
	}
	return false
}

// advance moves on after the current step is done: to the next step, or,
// when editing from review, to the first thing still missing (usually review
// itself).
func (s *Session) advance() {
	if s.returnToReview {
		s.goTo(s.firstIncomplete())
		return
	}
	s.goTo(s.nextStep())
}

func (s *Session) nextStep() Step {
	switch s.step {
	case StepConsent:
		return StepEmail
	case StepEmail:
		return StepName
	case StepName:
		return StepIDType
	case StepIDType:
		return StepFace
	case StepFace:
		return StepIDPhoto
	case StepIDPhoto:
		if s.twoSided {
			return StepIDName
		}
	}
	return StepReview
}

func (s *Session) firstIncomplete() Step {
	switch {
	case s.email == "":
		return StepEmail
	case s.name == "":
		return StepName
	case s.idType == "":
		return StepIDType
	}
	for _, k := range api.RequiredPhotos(s.twoSided) {
		if s.photos[k] == nil {
			step, _ := photoStep(k)
			return step
		}
	}
	return StepReview
}

// goTo leaves the current step (abandoning a capture, a pending photo or a
// lookup) and enters next.
func (s *Session) goTo(next Step) {
	if s.staff.unlocked {
		s.leaveStaff(StaffLeftStep)
	}
	s.endCapture("")
	s.dropPending()
	s.dropQuality(false)
	s.cancelLookup()
	s.suggestion = ""
	s.step = next
	s.live = false
	if next == StepReview {
		s.returnToReview = false
	}
	if kind, ok := stepPhoto(next); ok {
		s.live = s.photos[kind] == nil
		// A card placed while this learner was on an earlier screen is
		// waiting for its photo. Not for the name side: the card in the
		// cradle is most likely still photo side up.
		if next == StepIDPhoto && s.live && s.present && s.placedInSession {
			s.startCapture(context.Background(), modeCradle, false)
		}
	}
}

func (s *Session) beginSession() {
	s.dropQuality(true)
	s.placedInSession = false
	s.leftBehind = false // the new learner has seen the notice; the light stays on until the card goes
}
