package kioskui

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// MaxBodyBytes bounds every request body. The largest legitimate one is an
// action with a 200-character name: well under 1 KiB.
const MaxBodyBytes = 64 << 10

// csp allows nothing but this origin: no inline script or style, no
// frames, no other hosts. img-src data: is for the favicon only.
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// guard applies what every response needs, before any route runs.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		// The page never uses these; if it is ever tricked into trying, the
		// browser refuses without asking the learner.
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), usb=(), serial=()")
		// Personal data everywhere (state, photos, preview); the assets are
		// tiny and served from memory, so nothing is worth caching.
		h.Set("Cache-Control", "no-store")

		if !s.hostAllowed(r.Host) {
			// DNS rebinding: a hostile name resolving to 127.0.0.1.
			s.problem(w, http.StatusMisdirectedRequest, KeyHostNotAllowed, nil)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !s.sameOrigin(r) {
				s.problem(w, http.StatusForbidden, KeyCrossOrigin, nil)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) hostAllowed(host string) bool {
	if len(s.cfg.AllowedHosts) == 0 {
		name, _, err := net.SplitHostPort(host)
		if err != nil {
			name = host
		}
		name = strings.Trim(name, "[]")
		if strings.EqualFold(name, "localhost") {
			return true
		}
		ip := net.ParseIP(name)
		return ip != nil && ip.IsLoopback()
	}
	for _, h := range s.cfg.AllowedHosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// sameOrigin refuses browser requests made from another origin.
func (s *Server) sameOrigin(r *http.Request) bool {
	if err := s.cop.Check(r); err != nil {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser, or a same-origin request that omits it
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// decodeJSON reads a small JSON body into v, answering the problem itself
// when it cannot: 415 for another media type, 413 for a large body, 400 for
// anything malformed. It reports whether v is ready.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		s.problem(w, http.StatusUnsupportedMediaType, KeyUnsupportedMedia, nil)
		return false
	}
	if r.ContentLength > MaxBodyBytes {
		s.problem(w, http.StatusRequestEntityTooLarge, KeyRequestTooLarge, nil)
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("trailing data after the JSON value")
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.problem(w, http.StatusRequestEntityTooLarge, KeyRequestTooLarge, nil)
		return false
	case err != nil:
		s.problem(w, http.StatusBadRequest, KeyBadRequest, nil)
		return false
	}
	return true
}
