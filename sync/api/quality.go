package api

import (
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// QualityReport records how the kiosk judged each photo of a profile:
// every measure against its threshold, how many captures it took, and any
// staff override. It is sealed with the profile, so the reviewer sees what
// the kiosk saw and who let a photo through that failed a check.
//
// The field is optional in the profile document: profiles from kiosks
// without quality checks decode with a nil report, and a service that
// predates the field ignores it.
type QualityReport struct {
	// Analyzer names what judged the photos, e.g. "idkiosk-quality/1
	// pigo-facefinder", so numbers from different versions are not mixed.
	Analyzer string         `json:"analyzer"`
	Photos   []PhotoQuality `json:"photos"`
}

// PhotoQuality is the verdict on one photo of the profile.
type PhotoQuality struct {
	Kind PhotoKind `json:"kind"`
	// Capture says how the photo was taken: "auto" (the kiosk captured
	// when every check held), "manual" (the learner's button) or "cradle"
	// (a card placed in the cradle).
	Capture string `json:"capture"`
	// Attempts counts the captures judged for this photo, this one
	// included; Failed those that failed a check.
	Attempts int `json:"attempts"`
	Failed   int `json:"failed"`
	// Passed: every check passed on this photo.
	Passed bool           `json:"passed"`
	Checks []QualityCheck `json:"checks"`
	// Override is set when staff accepted the photo although it failed.
	Override *QualityOverride `json:"override,omitempty"`
}

// QualityCheck is one measure of a photo against its limit.
type QualityCheck struct {
	Name  string  `json:"name"` // e.g. brightness, sharpness, faces, glare
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Max   bool    `json:"max,omitempty"` // the limit is a maximum; else a minimum
	Pass  bool    `json:"pass"`
}

// QualityOverride is a staff member's decision to keep a photo that failed
// a check: who, when and why.
type QualityOverride struct {
	Staff  string    `json:"staff"` // the name or badge number staff entered
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
	// Failed lists the checks the accepted photo failed.
	Failed []string `json:"failed"`
}

// Limits on the free text of an override, so a report stays small.
const (
	MaxOverrideStaff  = 64
	MaxOverrideReason = 500
)

// Validate checks that a report is well-formed: known photo kinds, finite
// numbers, and an override that says who and why.
func (q *QualityReport) Validate() error {
	var errs []error
	for i, ph := range q.Photos {
		switch ph.Kind {
		case PhotoFace, PhotoIDPhotoSide, PhotoIDNameSide:
		default:
			errs = append(errs, fmt.Errorf("quality photo %d: unknown kind %q", i, ph.Kind))
		}
		for _, c := range ph.Checks {
			if math.IsNaN(c.Value) || math.IsInf(c.Value, 0) || math.IsNaN(c.Limit) || math.IsInf(c.Limit, 0) {
				errs = append(errs, fmt.Errorf("quality %s: check %s is not a finite number", ph.Kind, c.Name))
			}
		}
		if o := ph.Override; o != nil {
			if o.Staff == "" || o.Reason == "" || o.At.IsZero() {
				errs = append(errs, fmt.Errorf("quality %s: override without staff, reason or time", ph.Kind))
			}
			if !utf8.ValidString(o.Staff) || !utf8.ValidString(o.Reason) ||
				utf8.RuneCountInString(o.Staff) > MaxOverrideStaff || utf8.RuneCountInString(o.Reason) > MaxOverrideReason {
				errs = append(errs, fmt.Errorf("quality %s: override text too long or not UTF-8", ph.Kind))
			}
		}
	}
	return errors.Join(errs...)
}

// Photo returns the report on the photo of the given kind, or nil.
func (q *QualityReport) Photo(kind PhotoKind) *PhotoQuality {
	if q == nil {
		return nil
	}
	for i := range q.Photos {
		if q.Photos[i].Kind == kind {
			return &q.Photos[i]
		}
	}
	return nil
}
