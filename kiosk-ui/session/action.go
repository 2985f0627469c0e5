package session

import "github.com/idkiosk/idkiosk/sync/api"

// Action is one thing the learner did on the page. Only the fields the Type
// needs are read.
type Action struct {
	Type          string        `json:"type"`
	Lang          string        `json:"lang,omitempty"`           // set_language
	Email         string        `json:"email,omitempty"`          // email_submit, status_lookup
	UseSuggestion bool          `json:"use_suggestion,omitempty"` // email_confirm
	Name          string        `json:"name,omitempty"`           // name_submit
	IDType        api.IDType    `json:"id_type,omitempty"`        // idtype_submit
	TwoSided      bool          `json:"two_sided,omitempty"`      // idtype_submit
	Kind          api.PhotoKind `json:"kind,omitempty"`           // retake from review; optional check elsewhere
	Step          Step          `json:"step,omitempty"`           // edit

	// staff_unlock (staff.go): the staff PIN.
	PIN string `json:"pin,omitempty"`
	// staff_override (override.go), while staff mode is unlocked: who
	// (name or badge) and why.
	Staff  string `json:"staff,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Action types.
const (
	ActSetLanguage    = "set_language"
	ActStart          = "start"
	ActCheckStatus    = "check_status"
	ActStatusLookup   = "status_lookup"
	ActConsentAccept  = "consent_accept"
	ActConsentDecline = "consent_decline"
	ActEmailSubmit    = "email_submit"
	ActEmailConfirm   = "email_confirm"  // after a typo hint: use the suggestion or keep
	ActEmailContinue  = "email_continue" // after "no account": go on with this email
	ActNameSubmit     = "name_submit"
	ActIDTypeSubmit   = "idtype_submit"
	ActCapture        = "capture"
	ActRetake         = "retake"
	ActAcceptPhoto    = "accept_photo"
	ActBack           = "back"
	ActEdit           = "edit" // from review: change one step, then come back
	ActSubmit         = "submit"
	ActFinish         = "finish"
	ActKeepAlive      = "keep_alive"
	ActStaffOverride  = "staff_override" // keep a photo that failed a check
	ActStaffOpen      = "staff_open"     // welcome -> staff mode's PIN keypad
	ActStaffUnlock    = "staff_unlock"   // the staff PIN, on the staff screen or a photo step offering the override
	ActStaffExit      = "staff_exit"     // leave staff mode
)

// photoStep maps a photo kind to the step that captures it.
func photoStep(k api.PhotoKind) (Step, bool) {
	switch k {
	case api.PhotoFace:
		return StepFace, true
	case api.PhotoIDPhotoSide:
		return StepIDPhoto, true
	case api.PhotoIDNameSide:
		return StepIDName, true
	}
	return "", false
}

// stepPhoto is the inverse of photoStep.
func stepPhoto(s Step) (api.PhotoKind, bool) {
	switch s {
	case StepFace:
		return api.PhotoFace, true
	case StepIDPhoto:
		return api.PhotoIDPhotoSide, true
	case StepIDName:
		return api.PhotoIDNameSide, true
	}
	return "", false
}
