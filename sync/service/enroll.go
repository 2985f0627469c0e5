package service

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"net/http"
	"time"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

const maxEnrollBytes = 64 << 10

// enrollError is a refusal with its status and problem type.
type enrollError struct {
	status   int
	typ, why string
}

func (e *enrollError) Error() string { return e.why }

var errCodeRefused = &enrollError{http.StatusUnauthorized, probEnrollCode,
	"enrollment code is unknown, already used, or expired; ask for a new one (verifyd -add-device)"}

// handleEnroll exchanges a one-time code for a client certificate. See the
// enrollDevice operation in openapi.yaml for the rules.
func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r, maxEnrollBytes)
	if !ok {
		return
	}
	var req api.EnrollRequest
	if err := decodeJSON(body, &req); err != nil {
		writeProblem(w, http.StatusBadRequest, probMalformed, "body is not an enrollment request")
		return
	}
	csr, err := x509.ParseCertificateRequest(req.CSR)
	switch {
	case req.Code == "" || !ValidDeviceID(req.DeviceID):
		writeProblem(w, http.StatusBadRequest, probMalformed, "code and a valid device_id are required")
		return
	case err != nil || csr.CheckSignature() != nil:
		writeProblem(w, http.StatusBadRequest, probMalformed, "csr is not a signed PKCS #10 request")
		return
	case len(req.SigningKey) != ed25519.PublicKeySize ||
		!ed25519.Verify(req.SigningKey, api.EnrollProofMessage(req.DeviceID, req.CSR), req.Proof):
		// Proof of possession: without it a device could enroll someone
		// else's public key and have its own envelopes rejected, or claim
		// theirs.
		writeProblem(w, http.StatusBadRequest, probMalformed, "signing_key with a valid proof is required")
		return
	}
	now := s.now().UTC()
	rid := requestID(csr.RawSubjectPublicKeyInfo, req.SigningKey)
	var cert *x509.Certificate
	err = s.registry.update(now, func(d *registryData) error {
		i := d.findCode(codeHash(req.Code), now)
		if i < 0 {
			return errCodeRefused
		}
		c := &d.Codes[i]
		if c.DeviceID != req.DeviceID {
			return &enrollError{http.StatusForbidden, probForbidden, "this enrollment code was issued for another device id"}
		}
		if c.UsedBy != "" {
			if c.UsedBy != rid {
				return errCodeRefused
			}
			// The same request again: its answer was lost. Same answer.
			var perr error
			cert, perr = x509.ParseCertificate(c.Certificate)
			return perr
		}
		dev := d.Devices[req.DeviceID]
		if dev == nil {
			dev = &deviceEntry{ID: req.DeviceID, FirstEnrolled: now}
			d.Devices[req.DeviceID] = dev
		}
		signer := envelope.SignerID(req.SigningKey)
		known := false
		for _, k := range dev.SigningKeys {
			if k.ID == signer && bytes.Equal(k.Public, req.SigningKey) {
				if k.Revoked {
					return &enrollError{http.StatusForbidden, probForbidden,
						"this signing key was revoked; wipe the kiosk's identity directory and enroll again"}
				}
				known = true
			}
		}
		if !known {
			dev.SigningKeys = append(dev.SigningKeys, signingKey{ID: signer, Public: req.SigningKey, Added: now})
		}
		var ierr error
		if cert, ierr = s.ca.issueDevice(req.DeviceID, csr.PublicKey, now); ierr != nil {
			return &enrollError{http.StatusBadRequest, probMalformed, ierr.Error()}
		}
		// A new enrollment lifts a revocation; the revoked keys stay revoked.
		dev.Enrolled, dev.CertSerial, dev.Revoked = now, cert.SerialNumber.Text(16), time.Time{}
		c.UsedBy, c.Certificate = rid, cert.Raw
		return nil
	})
	if ee, ok := errors.AsType[*enrollError](err); ok {
		s.log.Warn("enrollment refused", "device", logSafe(req.DeviceID), "why", ee.why)
		writeProblem(w, ee.status, ee.typ, ee.why)
		return
	}
	if err != nil {
		s.internal(w, "enroll device", err)
		return
	}
	keys, err := envelope.ServiceKeys(s.keys, s.current)
	if err != nil {
		s.internal(w, "list keys", err)
		return
	}
	s.log.Info("device enrolled", "device", req.DeviceID, "serial", cert.SerialNumber.Text(16),
		"signer", envelope.SignerID(req.SigningKey))
	writeJSON(w, http.StatusCreated, api.EnrollResponse{DeviceID: req.DeviceID, Certificate: cert.Raw, Keys: keys})
}

// handleKeys lists the service's public keys and the current one.
func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request, device string) {
	keys, err := envelope.ServiceKeys(s.keys, s.current)
	if err != nil {
		s.internal(w, "list keys", err)
		return
	}
	writeJSON(w, http.StatusOK, keys)
}
