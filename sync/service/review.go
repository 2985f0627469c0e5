package service

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

//go:embed templates
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"reference": api.ReferenceCode,
	// measure prints a quality measure with as many digits as it needs:
	// brightness 141.2, glare 0.0194.
	"measure": func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) },
	"join":    strings.Join,
}).ParseFS(templateFS, "templates/*.html"))

// reviewCSP forbids everything but same-origin images, the stylesheet and
// form posts: no script runs on a page that shows ID photos.
const reviewCSP = "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const maxReasonRunes = 1000

// ReviewSummary is one row of GET /review/api/profiles. It needs no
// decryption.
type ReviewSummary struct {
	ID        string          `json:"id"`
	Reference string          `json:"reference"`
	Device    string          `json:"device"`
	Received  time.Time       `json:"received"`
	IDType    api.IDType      `json:"id_type"`
	TwoSided  bool            `json:"two_sided"`
	State     api.ReviewState `json:"state"`
	Reason    string          `json:"reason,omitempty"`
	Updated   time.Time       `json:"updated"`
	Stores    int             `json:"stores"`
	Replays   int             `json:"replays"`
}

// ReviewProfile is GET /review/api/profiles/{id}: the decrypted profile with
// its review state.
type ReviewProfile struct {
	ReviewSummary
	Created  time.Time     `json:"created"`
	Language string        `json:"language"`
	Email    string        `json:"email"`
	FullName string        `json:"full_name"`
	Photos   []ReviewPhoto `json:"photos"`
	// Quality is how the kiosk judged the photos, with any staff override;
	// nil from kiosks that do not check.
	Quality *api.QualityReport `json:"quality,omitempty"`
}

// ReviewPhoto is one photo of a ReviewProfile; JPEG is base64 in JSON.
type ReviewPhoto struct {
	Kind     api.PhotoKind `json:"kind"`
	Width    int           `json:"width"`
	Height   int           `json:"height"`
	Captured time.Time     `json:"captured"`
	Source   string        `json:"source"`
	JPEG     []byte        `json:"jpeg"`
}

// Decision is the body of POST /review/api/profiles/{id}/decision.
type Decision struct {
	State  api.ReviewState `json:"state"`
	Reason string          `json:"reason,omitempty"`
}

func summary(r *record) ReviewSummary {
	return ReviewSummary{
		ID: r.ID, Reference: api.ReferenceCode(r.ID), Device: r.DeviceID, Received: r.Received,
		IDType: r.IDType, TwoSided: r.TwoSided, State: r.State, Reason: r.Reason, Updated: r.Updated,
		Stores: r.Stores, Replays: r.Replays,
	}
}

func (s *Server) reviewRoutes() []route {
	r := func(method, path string, h func(http.ResponseWriter, *http.Request, string)) route {
		return route{method, path, reviewHeaders(s.reviewer(h))}
	}
	return []route{
		r("GET", "/review", s.listPage),
		r("GET", "/review/{$}", s.listPage),
		r("GET", "/review/style.css", s.stylesheet),
		r("GET", "/review/profiles/{id}", s.detailPage),
		r("GET", "/review/profiles/{id}/photos/{file}", s.photo),
		r("POST", "/review/profiles/{id}/decision", s.formDecision),
		r("GET", "/review/api/profiles", s.apiList),
		r("GET", "/review/api/profiles/{id}", s.apiProfile),
		r("POST", "/review/api/profiles/{id}/decision", s.apiDecision),
	}
}

// reviewHeaders applies to every review answer, the 401 included: all of
// them may carry personal data or lead to it.
func reviewHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Security-Policy", reviewCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

type listData struct {
	Profiles []ReviewSummary
	Devices  []deviceRow
}

type deviceRow struct {
	deviceRecord
	Age time.Duration
}

func (s *Server) listPage(w http.ResponseWriter, r *http.Request, user string) {
	sums, ok := s.summaries(w)
	if !ok {
		return
	}
	devs, err := s.store.devices()
	if err != nil {
		s.internal(w, "list devices", err)
		return
	}
	now := s.now()
	rows := make([]deviceRow, len(devs))
	for i, d := range devs {
		rows[i] = deviceRow{d, lastSeenAge(now, d.LastSeen)}
	}
	s.render(w, "list.html", listData{Profiles: sums, Devices: rows})
}

func (s *Server) summaries(w http.ResponseWriter) ([]ReviewSummary, bool) {
	recs, err := s.store.list()
	if err != nil {
		s.internal(w, "list profiles", err)
		return nil, false
	}
	out := make([]ReviewSummary, len(recs))
	for i := range recs {
		out[i] = summary(&recs[i])
	}
	return out, true
}

func (s *Server) apiList(w http.ResponseWriter, r *http.Request, user string) {
	if sums, ok := s.summaries(w); ok {
		writeJSON(w, http.StatusOK, sums)
	}
}

// decrypt opens a stored envelope for a reviewer. The plaintext lives only
// for this request.
func (s *Server) decrypt(w http.ResponseWriter, id string) (*api.Profile, *record, bool) {
	env, rec, err := s.store.envelope(id)
	if errors.Is(err, errNotFound) {
		writeProblem(w, http.StatusNotFound, probNotFound, "no profile with this id")
		return nil, nil, false
	}
	if err != nil {
		s.internal(w, "read profile", err)
		return nil, nil, false
	}
	_, p, err := envelope.Open(s.keys, env)
	if err != nil {
		// It opened when it was stored: a key was removed from the ring.
		s.internal(w, "open stored envelope "+id, err)
		return nil, nil, false
	}
	return p, rec, true
}

func reviewProfile(p *api.Profile, rec *record) ReviewProfile {
	rp := ReviewProfile{
		ReviewSummary: summary(rec),
		Created:       p.Created, Language: p.Language, Email: p.Email, FullName: p.FullName,
		Quality: p.Quality,
	}
	for _, ph := range p.Photos {
		rp.Photos = append(rp.Photos, ReviewPhoto{
			Kind: ph.Kind, Width: ph.Width, Height: ph.Height, Captured: ph.Captured, Source: ph.Source, JPEG: ph.JPEG,
		})
	}
	return rp
}

func (s *Server) apiProfile(w http.ResponseWriter, r *http.Request, user string) {
	p, rec, ok := s.decrypt(w, r.PathValue("id"))
	if !ok {
		return
	}
	defer p.Wipe()
	writeJSON(w, http.StatusOK, reviewProfile(p, rec))
}

type detailData struct {
	P    ReviewProfile
	CSRF string
}

func (s *Server) detailPage(w http.ResponseWriter, r *http.Request, user string) {
	p, rec, ok := s.decrypt(w, r.PathValue("id"))
	if !ok {
		return
	}
	defer p.Wipe()
	s.render(w, "detail.html", detailData{P: reviewProfile(p, rec), CSRF: s.csrfToken(user)})
}

func (s *Server) photo(w http.ResponseWriter, r *http.Request, user string) {
	kind, ok := strings.CutSuffix(r.PathValue("file"), ".jpg")
	if !ok {
		writeProblem(w, http.StatusNotFound, probNotFound, "photos are served as {kind}.jpg")
		return
	}
	p, _, ok := s.decrypt(w, r.PathValue("id"))
	if !ok {
		return
	}
	defer p.Wipe()
	ph := p.Photo(api.PhotoKind(kind))
	if ph == nil {
		writeProblem(w, http.StatusNotFound, probNotFound, "this profile has no such photo")
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(ph.JPEG)))
	w.Write(ph.JPEG)
}

func (s *Server) stylesheet(w http.ResponseWriter, r *http.Request, user string) {
	css, err := templateFS.ReadFile("templates/style.css")
	if err != nil {
		s.internal(w, "read stylesheet", err)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write(css)
}

// formDecision handles the approve and reject forms of the detail page.
func (s *Server) formDecision(w http.ResponseWriter, r *http.Request, user string) {
	if err := http.NewCrossOriginProtection().Check(r); err != nil {
		writeProblem(w, http.StatusForbidden, probForbidden, "cross-origin form post refused")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		writeProblem(w, http.StatusBadRequest, probMalformed, "form does not parse")
		return
	}
	if !s.csrfOK(user, r.PostForm.Get("csrf")) {
		writeProblem(w, http.StatusForbidden, probForbidden, "form token missing or stale; reload the page")
		return
	}
	d := Decision{State: api.ReviewState(r.PostForm.Get("state")), Reason: r.PostForm.Get("reason")}
	id := r.PathValue("id")
	if _, ok := s.decide(w, id, d); ok {
		http.Redirect(w, r, "/review/profiles/"+id, http.StatusSeeOther)
	}
}

// apiDecision is formDecision for tools. Requiring a JSON content type is
// its CSRF defence: a cross-site page cannot send one without a preflight.
func (s *Server) apiDecision(w http.ResponseWriter, r *http.Request, user string) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeProblem(w, http.StatusUnsupportedMediaType, probMediaType, "Content-Type must be application/json")
		return
	}
	body, ok := s.readBody(w, r, 8<<10)
	if !ok {
		return
	}
	var d Decision
	if err := decodeJSON(body, &d); err != nil {
		writeProblem(w, http.StatusBadRequest, probMalformed, "body must be {\"state\": ..., \"reason\": ...}")
		return
	}
	if rec, ok := s.decide(w, r.PathValue("id"), d); ok {
		writeJSON(w, http.StatusOK, rec.status())
	}
}

func (s *Server) decide(w http.ResponseWriter, id string, d Decision) (*record, bool) {
	d.Reason = strings.TrimSpace(d.Reason)
	switch d.State {
	case api.StateApproved:
		d.Reason = ""
	case api.StateRejected:
		if d.Reason == "" {
			writeProblem(w, http.StatusUnprocessableEntity, probInvalid, "a rejection needs a reason")
			return nil, false
		}
		if !utf8.ValidString(d.Reason) || utf8.RuneCountInString(d.Reason) > maxReasonRunes {
			writeProblem(w, http.StatusUnprocessableEntity, probInvalid,
				"reason must be valid UTF-8 of at most "+strconv.Itoa(maxReasonRunes)+" characters")
			return nil, false
		}
	default:
		writeProblem(w, http.StatusUnprocessableEntity, probInvalid, "state must be approved or rejected")
		return nil, false
	}
	rec, err := s.store.decide(id, d.State, d.Reason, s.now().UTC())
	if errors.Is(err, errNotFound) {
		writeProblem(w, http.StatusNotFound, probNotFound, "no profile with this id")
		return nil, false
	}
	if err != nil {
		s.internal(w, "record decision", err)
		return nil, false
	}
	s.log.Info("review decision", "profile", id, "state", d.State)
	return rec, true
}

// render executes a page into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.internal(w, "render "+name, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
	clear(buf.Bytes())
}

// lastSeenAge is how long ago a device was last heard from.
func lastSeenAge(now, seen time.Time) time.Duration {
	return now.Sub(seen).Round(time.Second)
}
