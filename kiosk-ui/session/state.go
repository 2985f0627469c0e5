package session

import (
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

// Step is one screen of the flow.
type Step string

// Steps, in flow order. Status hangs off welcome; saving sits between review
// and receipt while the Saver runs.
const (
	StepWelcome Step = "welcome"
	StepStatus  Step = "status"
	StepConsent Step = "consent"
	StepEmail   Step = "email"
	StepName    Step = "name"
	StepIDType  Step = "idtype"
	StepFace    Step = "face"
	StepIDPhoto Step = "id_photo"
	StepIDName  Step = "id_name"
	StepReview  Step = "review"
	StepSaving  Step = "saving"
	StepReceipt Step = "receipt"
	// StepStaff is staff mode's screen, opened from welcome (staff.go).
	StepStaff Step = "staff"
)

// Account says what the last lookup learned about the entered email.
type Account string

// Account lookup outcomes.
const (
	AccountNotChecked Account = "not_checked"
	AccountExists     Account = "exists"
	AccountNone       Account = "none"    // the service answered: no such account
	AccountUnknown    Account = "unknown" // offline, or no lookup configured
)

// State is what the page renders. It is a snapshot: the session never
// changes a State after handing it out.
type State struct {
	Step      Step     `json:"step"`
	Rev       uint64   `json:"rev"` // +1 on every change
	Lang      string   `json:"lang"`
	Languages []string `json:"languages"`

	Email           string     `json:"email"`
	EmailSuggestion string     `json:"email_suggestion"` // a likely fix for a typo in the domain
	Name            string     `json:"name"`
	IDType          api.IDType `json:"id_type"`
	TwoSided        bool       `json:"two_sided"`

	// Photos has an entry for every kind the profile needs.
	Photos map[api.PhotoKind]PhotoInfo `json:"photos"`
	// Pending is a capture awaiting "use this photo" or "retake".
	Pending *PhotoInfo `json:"pending"`
	// Live: on a photo step, show the live preview and the capture button
	// (false: show the accepted photo with retake / use this photo).
	Live      bool `json:"live"`
	Capturing bool `json:"capturing"`
	// CaptureMode is "cradle" (card in the cradle, light on) or "hand"
	// (held up to the camera) while Capturing.
	CaptureMode string `json:"capture_mode,omitempty"`
	// Checking: an account lookup is under way.
	Checking bool `json:"checking"`

	Cradle  CradleState `json:"cradle"`
	Message *Message    `json:"message"`
	// Quality is the live guidance and capture options on a photo step
	// when photos are checked (quality.go); nil elsewhere.
	Quality *QualityState `json:"quality,omitempty"`

	Online  bool          `json:"online"` // the last account lookup got an answer
	Account Account       `json:"account"`
	Lookup  *LookupResult `json:"lookup"` // the status screen's answer
	Receipt *Receipt      `json:"receipt"`

	// AdminViewers is how many remote admins watch the camera now; the
	// page shows "an administrator is viewing this camera" while above 0.
	AdminViewers int `json:"admin_viewers"`
	// CameraState is the camera's health ("ok", "disconnected", "black"...,
	// the capture.State names; "" unknown). The photo steps tell the
	// learner in plain words while it is not "ok".
	CameraState string `json:"camera_state,omitempty"`
	// Staff is staff mode (staff.go); nil when no staff PIN is set.
	Staff *StaffState `json:"staff,omitempty"`

	IdleWarning    bool       `json:"idle_warning"`
	IdleDeadline   *time.Time `json:"idle_deadline,omitempty"`
	ReturnToReview bool       `json:"return_to_review"`
}

// PhotoInfo describes a photo without its bytes; Session.Photo serves those.
type PhotoInfo struct {
	Kind    api.PhotoKind `json:"kind"`
	Present bool          `json:"present"`
	Rev     int           `json:"rev"` // changes with every new capture; use it to bust caches
	Width   int           `json:"width,omitempty"`
	Height  int           `json:"height,omitempty"`
}

// CradleState is what the page shows about the cradle.
type CradleState struct {
	Available bool `json:"available"` // a cradle is fitted
	Present   bool `json:"present"`   // a card is in it
	Light     bool `json:"light"`
}

// Message is an error or notice for the learner, as a catalogue key.
type Message struct {
	Key    string            `json:"key"`
	Params map[string]string `json:"params,omitempty"`
}

// LookupResult is the status screen's answer for an email.
type LookupResult struct {
	// Result is one of: no_account, no_profile, pending_review, approved,
	// rejected, offline.
	Result  string     `json:"result"`
	Reason  string     `json:"reason,omitempty"` // the reviewer's reason when rejected
	Updated *time.Time `json:"updated,omitempty"`
}

// Lookup results on the status screen besides api.ReviewState values.
const (
	LookupNoAccount = "no_account"
	LookupNoProfile = "no_profile"
	LookupOffline   = "offline"
)

// Receipt is shown once the profile is durably saved.
type Receipt struct {
	Reference  string    `json:"reference"` // api.ReferenceCode of the profile ID
	Created    time.Time `json:"created"`
	ReviewDays int       `json:"review_days"`
}
