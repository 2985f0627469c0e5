package kioskui

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
)

func (s *Server) state(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, s.sess.State())
}

// action applies one learner action and answers with the new state; refused
// actions answer a problem that carries the state too, so the page can
// re-render either way.
func (s *Server) action(w http.ResponseWriter, r *http.Request) {
	var a session.Action
	if !s.decodeJSON(w, r, &a) {
		return
	}
	st, err := s.sess.Do(r.Context(), a)
	if err == nil {
		s.writeJSON(w, st)
		return
	}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, session.ErrNotAllowed):
		status = http.StatusConflict
	case errors.Is(err, session.ErrInvalidInput):
		status = http.StatusUnprocessableEntity
	}
	p := Problem{Problem: api.Problem{Title: http.StatusText(status), Status: status}, Key: KeyServerError, State: &st}
	var e *session.Error
	if errors.As(err, &e) {
		p.Key, p.Params = e.Key, e.Params
	}
	s.writeProblem(w, p)
}

// photo serves a photo of this session from memory: /api/photos/face.jpg,
// ... and /api/photos/pending.jpg for the one awaiting "use this photo".
func (s *Server) photo(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".jpg")
	if !ok {
		s.problem(w, http.StatusNotFound, KeyNotFound, nil)
		return
	}
	var b []byte
	switch kind := api.PhotoKind(name); kind {
	case "pending":
		b, _, ok = s.sess.PendingPhoto()
	case api.PhotoFace, api.PhotoIDPhotoSide, api.PhotoIDNameSide:
		b, _, ok = s.sess.Photo(kind)
	default:
		ok = false
	}
	if !ok {
		s.problem(w, http.StatusNotFound, KeyNotFound, nil)
		return
	}
	defer clear(b) // our copy; do not leave it for the GC to find
	w.Header().Set("Content-Type", "image/jpeg")
	if _, err := w.Write(b); err != nil {
		s.log.Debug("write photo", "err", err)
	}
}

func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Preview == nil {
		s.problem(w, http.StatusServiceUnavailable, KeyCameraUnavailable, nil)
		return
	}
	// A stream outlives any server WriteTimeout meant for ordinary requests.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	s.cfg.Preview.ServeHTTP(w, r)
}
