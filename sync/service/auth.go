package service

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/idkiosk/idkiosk/sync/api"
)

// deviceHandler is a handler that runs for an authenticated kiosk.
type deviceHandler func(w http.ResponseWriter, r *http.Request, device string)

// device authenticates the kiosk by its client certificate before h runs.
// Checked on every request, not once per connection: a revocation applies
// to the very next request, even on a kept-alive connection.
func (s *Server) device(h deviceHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, status, why := s.authenticate(r)
		if status != 0 {
			// The device id is not secret and helps an operator find a
			// kiosk that needs enrolling again.
			s.log.Warn("device authentication failed", "device", logSafe(id), "status", status, "why", why, "path", logSafe(r.URL.Path))
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `ClientCertificate realm="idkiosk"`)
				writeProblem(w, status, probUnauthorized, why)
			} else {
				writeProblem(w, status, probForbidden, why)
			}
			return
		}
		h(w, r, id)
	}
}

// authenticate returns the device a request comes from, or the status and
// reason to refuse it with: 401 when the certificate does not identify an
// enrolled device (none, not from the device CA, expired, superseded by a
// later enrollment), 403 when it does and the device is revoked or claims
// to be another.
func (s *Server) authenticate(r *http.Request) (id string, status int, why string) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return "", http.StatusUnauthorized, "no client certificate: enroll this device (kioskctl enroll)"
	}
	leaf := r.TLS.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         s.ca.pool,
		Intermediates: inter,
		CurrentTime:   s.now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	id = leaf.Subject.CommonName
	if err != nil {
		return id, http.StatusUnauthorized, "client certificate not valid for this service's device CA"
	}
	dev, known, err := s.registry.device(id)
	if err != nil {
		s.log.Error("device registry", "err", err)
		return id, http.StatusUnauthorized, "device registry unavailable"
	}
	switch {
	case !known:
		return id, http.StatusUnauthorized, "device is not enrolled"
	case !dev.Revoked.IsZero():
		return id, http.StatusForbidden, "device is revoked"
	case dev.CertSerial != leaf.SerialNumber.Text(16):
		return id, http.StatusUnauthorized, "client certificate was superseded by a later enrollment"
	}
	if claimed := r.Header.Get(api.HeaderDeviceID); claimed != "" && claimed != id {
		return id, http.StatusForbidden, "Device-Id header names another device than the client certificate"
	}
	return id, 0, ""
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
