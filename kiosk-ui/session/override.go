package session

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/idkiosk/idkiosk/sync/api"
)

// minOverrideReason: a reason must say something ("ok" does not).
const minOverrideReason = 3

// staffOverride lets staff keep the last capture of this step although it
// failed a check, after QualityConfig.OverrideAfter failed captures, while
// staff mode is unlocked (the PIN, staff.go), with their name or badge and
// a reason. The photo becomes the pending one (the learner still taps "use
// this photo"), and the override is recorded in its quality report: who,
// when, why, which checks failed. Staff mode then ends: one PIN, one
// override, so the learner is never left with an unlocked kiosk.
func (s *Session) staffOverride(a Action) error {
	kind, ok := stepPhoto(s.step)
	if !ok || !s.checking() || !s.overrideOffered(kind) {
		return notAllowed()
	}
	if !s.staff.unlocked {
		return invalid(KeyStaffUnlockFirst, nil)
	}
	staff, ok := overrideText(a.Staff, 1, api.MaxOverrideStaff)
	if !ok {
		return invalid(KeyOverrideStaffMissing, nil)
	}
	reason, ok := overrideText(a.Reason, minOverrideReason, api.MaxOverrideReason)
	if !ok {
		return invalid(KeyOverrideReasonMissing, nil)
	}
	p := s.q.rejected[kind]
	delete(s.q.rejected, kind)
	var failed []string
	for _, c := range p.quality.Checks {
		if !c.Pass {
			failed = append(failed, c.Name)
		}
	}
	p.quality.Override = &api.QualityOverride{Staff: staff, At: s.clock.Now().UTC(), Reason: reason, Failed: failed}
	s.pending = p
	s.live = false
	// The staff member's name and reason are in the sealed report only.
	s.log.Info("staff accepted a photo that failed a check", "kind", kind, "failed", failed,
		"failed_captures", s.q.failed[kind])
	s.recordStaff(StaffEvent{Time: p.quality.Override.At, Event: StaffEventOverride, Kind: kind, Failed: failed})
	s.leaveStaff(StaffLeftOverride)
	return nil
}

// overrideText trims s and accepts it if it has min..max characters and
// no control characters.
func overrideText(s string, min, max int) (string, bool) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if !utf8.ValidString(s) || n < min || n > max {
		return "", false
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", false
	}
	return s, true
}

// checkPhotosPassed is the last gate before a profile is saved: with
// checks on, every photo passed them or carries a staff override. The
// capture paths already ensure it; this makes it a property of submit
// rather than of every path that may ever lead there. A photo that fails
// is dropped and the learner sent back for it. Callers hold mu.
func (s *Session) checkPhotosPassed() error {
	for _, k := range api.RequiredPhotos(s.twoSided) {
		if p := s.photos[k]; p != nil && !s.photoPassed(p) {
			s.log.Error("a photo that failed its checks reached submit; dropped", "kind", k)
			s.dropPhoto(k)
			return invalid(KeyPhotoMissing, map[string]string{"kind": string(k)})
		}
	}
	return nil
}

// qualityReport gathers the photos' reports for the profile; nil when
// photos are not checked.
func (s *Session) qualityReport() *api.QualityReport {
	if !s.checking() {
		return nil
	}
	r := &api.QualityReport{Analyzer: s.q.cfg.Analyzer}
	for _, k := range api.RequiredPhotos(s.twoSided) {
		if p := s.photos[k]; p != nil && p.quality != nil {
			pq := *p.quality
			r.Photos = append(r.Photos, pq)
		}
	}
	return r
}

// stopQuality ends the live guidance for good (shutdown). Callers hold mu.
func (s *Session) stopQuality() {
	s.q.closed = true
	if m := s.q.monitor; m != nil {
		m.cancel()
		s.q.monitor = nil
	}
	if s.q.manualTimer != nil {
		s.q.manualTimer.Stop()
		s.q.manualTimer = nil
	}
}
