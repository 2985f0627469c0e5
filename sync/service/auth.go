package service

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// Devices answers which token a kiosk must present. The service keeps only
// the SHA-256 of each token, so a copy of the devices file cannot
// impersonate a kiosk.
type Devices interface {
	TokenSHA256(deviceID string) (sum [32]byte, ok bool)
}

// DeviceMap is a fixed set of devices: device id -> SHA-256 of its token.
type DeviceMap map[string][32]byte

// TokenSHA256 implements Devices.
func (m DeviceMap) TokenSHA256(id string) ([32]byte, bool) {
	sum, ok := m[id]
	return sum, ok
}

var _ Devices = DeviceMap(nil)

// deviceHandler is a handler that runs for an authenticated kiosk.
type deviceHandler func(w http.ResponseWriter, r *http.Request, device string)

// device authenticates the kiosk (Device-Id header and Authorization:
// Bearer token) before h runs.
func (s *Server) device(h deviceHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("Device-Id")
		token, ok := bearer(r.Header.Get("Authorization"))
		if id == "" || !ok || !s.deviceOK(id, token) {
			// The device id is not secret and helps an operator find a
			// kiosk with a stale token; the token never reaches a log.
			s.log.Warn("device authentication failed", "device", logSafe(id), "path", logSafe(r.URL.Path))
			w.Header().Set("WWW-Authenticate", `Bearer realm="idkiosk"`)
			writeProblem(w, http.StatusUnauthorized, probUnauthorized, "unknown device or wrong token")
			return
		}
		h(w, r, id)
	}
}

func (s *Server) deviceOK(id, token string) bool {
	got := sha256.Sum256([]byte(token))
	want, known := s.devices.TokenSHA256(id)
	// Compare even for an unknown device so that timing does not tell
	// which device ids exist.
	eq := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	return known && eq
}

func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// logSafe bounds a client-supplied string before it goes into a log line
// or a problem detail.
func logSafe(s string) string {
	if len(s) > 80 {
		s = s[:80]
	}
	return strings.ToValidUTF8(s, "?")
}

// reviewer guards the review pages with HTTP Basic auth. Any user name is
// accepted (it only labels the CSRF token); the password is compared as a
// SHA-256 in constant time.
func (s *Server) reviewer(h func(w http.ResponseWriter, r *http.Request, user string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, pw, ok := r.BasicAuth()
		sum := sha256.Sum256([]byte(pw))
		if !ok || subtle.ConstantTimeCompare(sum[:], s.reviewPW[:]) != 1 {
			if ok { // browsers ask without credentials first; that is no failure
				s.log.Warn("review login failed", "path", logSafe(r.URL.Path))
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="idkiosk review", charset="UTF-8"`)
			writeProblem(w, http.StatusUnauthorized, probUnauthorized, "review login required")
			return
		}
		h(w, r, user)
	}
}

// csrfToken ties a form to the reviewer's credentials: a page on another
// origin cannot read it, and it changes when the password does.
func (s *Server) csrfToken(user string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write(s.reviewPW[:])
	m.Write([]byte(user))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) csrfOK(user, token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.csrfToken(user))) == 1
}
