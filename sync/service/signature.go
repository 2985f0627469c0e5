package service

import (
	"errors"
	"net/http"

	"github.com/idkiosk/idkiosk/sync/envelope"
)

// checkSignature applies the chain-of-custody policy to an envelope from an
// authenticated device, answering 422 (permanent: the kiosk dead-letters
// it) when it fails:
//
//   - Version 2 must verify against a signing key the device enrolled with
//     and that is not revoked. The key is looked up by the device, never
//     taken from the envelope: a tampered envelope, or one re-signed by
//     any other key, fails.
//   - Version 1 is unsigned. It is accepted only if it was created before
//     the device first enrolled: a backlog sealed by firmware from before
//     signatures, still queued when the kiosk was upgraded and enrolled.
//     Anything a kiosk seals after enrolling is signed, so a v1 envelope
//     dated later is a forgery or a downgrade and is refused. (The date is
//     the kiosk's, so an attacker could backdate one; but a v1 envelope
//     reaches this point only over the device's own mTLS connection, from
//     whoever holds its TLS key, who holds its signing key too.)
func (s *Server) checkSignature(w http.ResponseWriter, hdr *envelope.Header, body []byte, device string) bool {
	dev, ok, err := s.registry.device(device)
	if err != nil || !ok {
		// authenticate found the device a moment ago; a registry that
		// cannot be read now is a transient failure, not a verdict.
		s.internal(w, "read device registry", errors.Join(err, errors.New("device vanished")))
		return false
	}
	switch hdr.Version {
	case envelope.VersionSigned:
		pub, ok := dev.signingKey(hdr.Signer)
		if !ok {
			s.log.Warn("envelope signed by a key the device did not enroll", "profile", hdr.ProfileID, "device", device, "signer", logSafe(hdr.Signer))
			writeProblem(w, http.StatusUnprocessableEntity, probBadSignature,
				"envelope is signed by a key this device did not enroll (or that was revoked)")
			return false
		}
		if _, err := envelope.Verify(body, pub); err != nil {
			s.log.Warn("envelope signature does not verify", "profile", hdr.ProfileID, "device", device, "err", err)
			writeProblem(w, http.StatusUnprocessableEntity, probBadSignature,
				"envelope signature does not verify: it was changed after the device signed it")
			return false
		}
		return true
	case envelope.Version:
		if hdr.Created.Before(dev.FirstEnrolled) {
			return true
		}
		s.log.Warn("unsigned envelope from after enrollment", "profile", hdr.ProfileID, "device", device)
		writeProblem(w, http.StatusUnprocessableEntity, probUnsigned,
			"envelope is unsigned; only profiles sealed before this device enrolled may be")
		return false
	}
	writeProblem(w, http.StatusUnprocessableEntity, probUnsigned, "unknown envelope version")
	return false
}
