package kioskui

import (
	"context"
	"errors"
	"net/http"
)

// Staff is what staff mode's screens show and do; kioskd implements it.
// Status and Diagnose return JSON documents without personal data (ids,
// receipt references, counts, states, check results: kioskd's
// control.Status and control.Diagnosis), which the page renders.
type Staff interface {
	Status(ctx context.Context) (any, error)
	// Diagnose runs the camera, cradle and network checks now.
	Diagnose(ctx context.Context) (any, error)
	// SyncNow makes every queued profile due now.
	SyncNow(ctx context.Context) error
	// RetryDead requeues the dead letters with these ids (none: all). An
	// unknown id is an error wrapping ErrNotFound.
	RetryDead(ctx context.Context, ids []string) (int, error)
}

// ErrNotFound is what Staff.RetryDead wraps for an id it does not hold.
var ErrNotFound = errors.New("not found")

// staffRoutes serve staff mode's data. Each answers only while the
// session's staff screen is unlocked (the PIN, session/staff.go); the
// actions count as staff activity, the status polls do not, so staff mode
// still ends when nobody touches it.
func (s *Server) staffRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/staff/status", s.staffOnly(false, func(w http.ResponseWriter, r *http.Request) {
		st, err := s.cfg.Staff.Status(r.Context())
		s.staffAnswer(w, st, err)
	}))
	mux.HandleFunc("POST /api/staff/diagnose", s.staffOnly(true, func(w http.ResponseWriter, r *http.Request) {
		d, err := s.cfg.Staff.Diagnose(r.Context())
		s.staffAnswer(w, d, err)
	}))
	mux.HandleFunc("POST /api/staff/sync-now", s.staffOnly(true, func(w http.ResponseWriter, r *http.Request) {
		err := s.cfg.Staff.SyncNow(r.Context())
		s.staffAnswer(w, struct{}{}, err)
	}))
	mux.HandleFunc("POST /api/staff/retry-dead", s.staffOnly(true, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			IDs []string `json:"ids"`
		}
		if !s.decodeJSON(w, r, &body) {
			return
		}
		n, err := s.cfg.Staff.RetryDead(r.Context(), body.IDs)
		if errors.Is(err, ErrNotFound) {
			s.problem(w, http.StatusNotFound, KeyNotFound, nil)
			return
		}
		s.staffAnswer(w, struct {
			Requeued int `json:"requeued"`
		}{n}, err)
	}))
}

// staffOnly refuses the request unless the staff screen is unlocked;
// touch: it is staff activity.
func (s *Server) staffOnly(touch bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.sess.StaffMode(touch) {
			st := s.sess.State()
			s.problem(w, http.StatusForbidden, KeyStaffRequired, &st)
			return
		}
		h(w, r)
	}
}

func (s *Server) staffAnswer(w http.ResponseWriter, v any, err error) {
	if err != nil {
		s.log.Error("staff request", "err", err)
		s.problem(w, http.StatusInternalServerError, KeyServerError, nil)
		return
	}
	s.writeJSON(w, v)
}
