package service

import (
	"html"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
)

// TestReview_ShowsQualityReport: the reviewer sees how the kiosk judged
// each photo, and a staff override (who, when, why, what failed) stands
// out; the JSON API carries the report as sealed.
func TestReview_ShowsQualityReport(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	at := time.Date(2026, 3, 1, 8, 58, 30, 0, time.UTC)
	p.Quality = &api.QualityReport{
		Analyzer: "idkiosk-quality/1 test",
		Photos: []api.PhotoQuality{
			{Kind: api.PhotoFace, Capture: "auto", Attempts: 1, Passed: true, Checks: []api.QualityCheck{
				{Name: "brightness", Value: 141.25, Limit: 40, Pass: true},
				{Name: "sharpness", Value: 422.3, Limit: 50, Pass: true},
			}},
			{Kind: api.PhotoIDPhotoSide, Capture: "manual", Attempts: 3, Failed: 3, Checks: []api.QualityCheck{
				{Name: "glare", Value: 0.0194, Limit: 0.005, Max: true},
			}, Override: &api.QualityOverride{
				Staff: "J. Smith <#42>", At: at, Reason: `laminate "holo" reflects the lamp`, Failed: []string{"glare"},
			}},
		},
	}
	f.put(p)

	resp, body := f.do(f.reviewRequest("GET", "/review/profiles/"+p.ID, nil))
	if resp.StatusCode != 200 {
		t.Fatalf("detail page: status %d", resp.StatusCode)
	}
	page := string(body)
	for _, want := range []string{
		"Photo quality at the kiosk",
		"idkiosk-quality/1 test",
		`id="quality-face"`, "passed every check", "141.2",
		`id="quality-id_photo_side"`, "failed a check, accepted by staff",
		// Text from the kiosk is escaped, never markup.
		html.EscapeString("J. Smith <#42>"), html.EscapeString(`laminate "holo" reflects the lamp`),
		"2026-03-01 08:58:30 UTC", "Failed checks: glare",
		"at most 0.005", "FAIL",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("detail page lacks %q", want)
		}
	}
	if strings.Contains(page, "<#42>") {
		t.Errorf("the staff name reached the page unescaped")
	}

	var rp ReviewProfile
	f.getJSON(f.reviewRequest("GET", "/review/api/profiles/"+p.ID, nil), &rp)
	id := rp.Quality.Photo(api.PhotoIDPhotoSide)
	if rp.Quality == nil || id == nil || id.Override == nil || id.Override.Reason != p.Quality.Photos[1].Override.Reason {
		t.Errorf("API quality report %+v, want the sealed one with its override", rp.Quality)
	}
}

// TestReview_NoQualityReport: profiles from kiosks without checks still
// show, with a note instead of a report.
func TestReview_NoQualityReport(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	f.put(p)
	resp, body := f.do(f.reviewRequest("GET", "/review/profiles/"+p.ID, nil))
	if resp.StatusCode != 200 || !strings.Contains(string(body), "No quality report") {
		t.Errorf("detail page: status %d, want 200 with the no-report note", resp.StatusCode)
	}
}
