package service

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/api"
)

// decide posts a decision through the review JSON API and requires a 200.
func (f *fixture) decide(id string, d Decision) api.ProfileStatus {
	f.t.Helper()
	b, _ := json.Marshal(d)
	r := f.reviewRequest("POST", "/review/api/profiles/"+id+"/decision", bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	var st api.ProfileStatus
	f.getJSON(r, &st)
	return st
}

func TestStatus_AfterDecision(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	f.put(p)
	received := f.clock.Now()
	if got, want := f.status(p.ID), (api.ProfileStatus{ID: p.ID, State: api.StatePendingReview, Updated: received}); got != want {
		t.Errorf("status before review %+v, want %+v", got, want)
	}

	f.clock.Advance(90e9)
	steps := []struct {
		name     string
		decision Decision
		want     api.ProfileStatus
	}{
		{"reject with reason", Decision{State: api.StateRejected, Reason: "  ID photo is blurred "},
			api.ProfileStatus{ID: p.ID, State: api.StateRejected, Reason: "ID photo is blurred", Updated: f.clock.Now()}},
		{"approve drops the reason", Decision{State: api.StateApproved, Reason: "ignored"},
			api.ProfileStatus{ID: p.ID, State: api.StateApproved, Updated: f.clock.Now()}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if got := f.decide(p.ID, s.decision); got != s.want {
				t.Errorf("decision answer %+v, want %+v", got, s.want)
			}
			if got := f.status(p.ID); got != s.want {
				t.Errorf("status %+v, want %+v", got, s.want)
			}
		})
	}
}

func TestDecision_Invalid(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	f.put(p)
	tests := []struct {
		name        string
		id          string
		contentType string
		body        string
		status      int
	}{
		{"reject without reason", p.ID, "application/json", `{"state":"rejected","reason":"  "}`, 422},
		{"reason too long", p.ID, "application/json", `{"state":"rejected","reason":"` + strings.Repeat("x", 1001) + `"}`, 422},
		{"unknown state", p.ID, "application/json", `{"state":"maybe"}`, 422},
		{"back to pending", p.ID, "application/json", `{"state":"pending_review"}`, 422},
		{"not json", p.ID, "application/json", `state=approved`, 400},
		{"form content type", p.ID, "application/x-www-form-urlencoded", `{"state":"approved"}`, 415},
		{"unknown profile", uuid.NewString(), "application/json", `{"state":"approved"}`, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.reviewRequest("POST", "/review/api/profiles/"+tt.id+"/decision", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.contentType)
			resp, body := f.do(r)
			problemOf(t, resp, body, tt.status)
		})
	}
	if got := f.status(p.ID); got.State != api.StatePendingReview {
		t.Errorf("state after invalid decisions %q, want %q", got.State, api.StatePendingReview)
	}
}

func TestReview_NeedsAuth(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	f.put(p)
	paths := []string{
		"/review",
		"/review/",
		"/review/style.css",
		"/review/profiles/" + p.ID,
		"/review/profiles/" + p.ID + "/photos/face.jpg",
		"/review/api/profiles",
		"/review/api/profiles/" + p.ID,
	}
	creds := []struct {
		name       string
		user, pass string
		set        bool
		status     int
	}{
		{"no credentials", "", "", false, 401},
		{"wrong password", "reviewer", "hunter2", true, 401},
		{"empty password", "reviewer", "", true, 401},
		{"right password", "anyone", testPassword, true, 200},
	}
	for _, path := range paths {
		for _, c := range creds {
			t.Run(path+"/"+c.name, func(t *testing.T) {
				r := mustRequest(t, "GET", f.ts.URL+path)
				if c.set {
					r.SetBasicAuth(c.user, c.pass)
				}
				resp, body := f.do(r)
				if resp.StatusCode != c.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
				}
				if c.status == 401 {
					if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
						t.Errorf("WWW-Authenticate %q, want Basic", resp.Header.Get("WWW-Authenticate"))
					}
					if bytes.Contains(body, []byte(p.ID)) {
						t.Error("401 answer mentions the profile")
					}
				}
				if got := resp.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control %q, want no-store", got)
				}
				if got := resp.Header.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
					t.Errorf("Content-Security-Policy %q, want default-src 'none'", got)
				}
			})
		}
	}
}

func TestReview_NoPasswordConfigured(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.ReviewPasswordSHA256 = [32]byte{} })
	for _, pw := range []string{"", testPassword} {
		r := mustRequest(t, "GET", f.ts.URL+"/review")
		r.SetBasicAuth("reviewer", pw)
		if resp, _ := f.do(r); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("password %q: status %d, want 401", pw, resp.StatusCode)
		}
	}
}

func TestReview_DetailShowsDecryptedProfile(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, true)
	f.put(p)

	resp, body := f.do(f.reviewRequest("GET", "/review/profiles/"+p.ID, nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("detail: status %d, want 200", resp.StatusCode)
	}
	page := string(body)
	for _, want := range []string{testName, testEmail, api.ReferenceCode(p.ID), string(api.IDNationalCard)} {
		if !strings.Contains(page, want) {
			t.Errorf("detail page does not show %q", want)
		}
	}
	for _, ph := range p.Photos {
		src := `src="/review/profiles/` + p.ID + `/photos/` + string(ph.Kind) + `.jpg"`
		if !strings.Contains(page, src) {
			t.Errorf("detail page has no img %s", src)
		}
		resp, jpg := f.do(f.reviewRequest("GET", "/review/profiles/"+p.ID+"/photos/"+string(ph.Kind)+".jpg", nil))
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("photo %s: status %d type %q, want 200 image/jpeg", ph.Kind, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !bytes.Equal(jpg, ph.JPEG) {
			t.Errorf("photo %s: served bytes differ from the captured JPEG", ph.Kind)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(jpg))
		if err != nil || cfg.Width != ph.Width || cfg.Height != ph.Height {
			t.Errorf("photo %s decodes as %dx%d (%v), want %dx%d", ph.Kind, cfg.Width, cfg.Height, err, ph.Width, ph.Height)
		}
	}
	if resp, _ := f.do(f.reviewRequest("GET", "/review/profiles/"+p.ID+"/photos/selfie.jpg", nil)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown photo kind: status %d, want 404", resp.StatusCode)
	}

	var got ReviewProfile
	f.getJSON(f.reviewRequest("GET", "/review/api/profiles/"+p.ID, nil), &got)
	if got.FullName != testName || got.Email != testEmail || got.Language != p.Language ||
		got.IDType != p.IDType || !got.TwoSided || !got.Created.Equal(p.Created) || got.Device != testDevice {
		t.Errorf("JSON profile %+v does not match what was sealed", got.ReviewSummary)
	}
	if len(got.Photos) != len(p.Photos) {
		t.Fatalf("JSON profile has %d photos, want %d", len(got.Photos), len(p.Photos))
	}
	for i, ph := range got.Photos {
		want := p.Photos[i]
		if ph.Kind != want.Kind || ph.Width != want.Width || ph.Height != want.Height || !bytes.Equal(ph.JPEG, want.JPEG) {
			t.Errorf("JSON photo %d: %s %dx%d (%d bytes), want %s %dx%d (%d bytes)",
				i, ph.Kind, ph.Width, ph.Height, len(ph.JPEG), want.Kind, want.Width, want.Height, len(want.JPEG))
		}
	}

	resp, body = f.do(f.reviewRequest("GET", "/review", nil))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), api.ReferenceCode(p.ID)) {
		t.Errorf("list page: status %d, want 200 listing %s", resp.StatusCode, api.ReferenceCode(p.ID))
	}
	if strings.Contains(string(body), testName) || strings.Contains(string(body), testEmail) {
		t.Error("list page shows personal data; only the detail page should")
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestReview_FormDecision(t *testing.T) {
	f := newFixture(t, nil)
	p := newProfile(t, testDevice, testEmail, false)
	f.put(p)
	_, page := f.do(f.reviewRequest("GET", "/review/profiles/"+p.ID, nil))
	m := csrfField.FindSubmatch(page)
	if m == nil {
		t.Fatal("detail page has no CSRF token")
	}
	token := string(m[1])

	post := func(form url.Values, edit func(*http.Request)) *http.Response {
		r := f.reviewRequest("POST", "/review/profiles/"+p.ID+"/decision", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if edit != nil {
			edit(r)
		}
		// Do not follow the redirect: its status is what the test checks.
		c := *f.ts.Client() // trusts the fixture's TLS certificate
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tests := []struct {
		name   string
		form   url.Values
		edit   func(*http.Request)
		status int
	}{
		{"no token", url.Values{"state": {"approved"}}, nil, 403},
		{"token of another user", url.Values{"state": {"approved"}, "csrf": {token}},
			func(r *http.Request) { r.SetBasicAuth("someone-else", testPassword) }, 403},
		{"cross-site post", url.Values{"state": {"approved"}, "csrf": {token}},
			func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }, 403},
		{"reject without reason", url.Values{"state": {"rejected"}, "csrf": {token}}, nil, 422},
		{"reject with reason", url.Values{"state": {"rejected"}, "csrf": {token}, "reason": {"Name does not match the ID"}}, nil, 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if resp := post(tt.form, tt.edit); resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
	want := api.ProfileStatus{ID: p.ID, State: api.StateRejected, Reason: "Name does not match the ID", Updated: f.clock.Now()}
	if got := f.status(p.ID); got != want {
		t.Errorf("status %+v, want %+v", got, want)
	}
}
