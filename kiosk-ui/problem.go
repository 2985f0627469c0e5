package kioskui

import (
	"encoding/json"
	"net/http"

	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
)

// Message keys of the HTTP layer's own errors. A test checks they exist in
// every catalogue.
const (
	KeyBadRequest        = "bad_request"
	KeyRequestTooLarge   = "request_too_large"
	KeyUnsupportedMedia  = "unsupported_media_type"
	KeyCrossOrigin       = "cross_origin"
	KeyHostNotAllowed    = "host_not_allowed"
	KeyNotFound          = "not_found"
	KeyServerError       = "server_error"
	KeyCameraUnavailable = "camera_unavailable"
	KeyDemoFailed        = "demo_failed"
	KeyStaffRequired     = "staff.required" // staff data asked for while staff mode is locked
)

// MessageKeys lists the keys above.
func MessageKeys() []string {
	return []string{KeyBadRequest, KeyRequestTooLarge, KeyUnsupportedMedia, KeyCrossOrigin,
		KeyHostNotAllowed, KeyNotFound, KeyServerError, KeyCameraUnavailable, KeyDemoFailed, KeyStaffRequired}
}

// Problem is the body of every error answer: an RFC 9457 problem document
// with the catalogue key the page shows, and the session state when the
// page should re-render.
type Problem struct {
	api.Problem
	Key    string            `json:"key"`
	Params map[string]string `json:"params,omitempty"`
	State  *session.State    `json:"state,omitempty"`
}

func (s *Server) problem(w http.ResponseWriter, status int, key string, st *session.State) {
	s.writeProblem(w, Problem{
		Problem: api.Problem{Title: http.StatusText(status), Status: status},
		Key:     key,
		State:   st,
	})
}

func (s *Server) writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	if err := json.NewEncoder(w).Encode(p); err != nil {
		s.log.Debug("write problem", "err", err)
	}
}

func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.log.Debug("write json", "err", err)
	}
}
