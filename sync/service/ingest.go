package service

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
)

// handlePut stores a sealed profile exactly once. The order of checks is
// cheapest first, and nothing is decrypted for a replay: the same digest
// means the same bytes, which were opened when first stored.
func (s *Server) handlePut(w http.ResponseWriter, r *http.Request, device string) {
	id := r.PathValue("id")
	if !validProfileID(id) {
		writeProblem(w, http.StatusBadRequest, probMalformed, "profile id must be a lowercase UUID")
		return
	}
	if k := r.Header.Get(api.HeaderIdempotencyKey); k != id {
		writeProblem(w, http.StatusBadRequest, probMalformed, "Idempotency-Key must equal the profile id in the path")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != api.EnvelopeMediaType {
		writeProblem(w, http.StatusUnsupportedMediaType, probMediaType, "Content-Type must be "+api.EnvelopeMediaType)
		return
	}
	body, ok := s.readBody(w, r, s.maxBody)
	if !ok {
		return
	}
	if err := api.CheckContentDigest(r.Header.Get(api.HeaderContentDigest), body); err != nil {
		writeProblem(w, http.StatusBadRequest, probMalformed, err.Error())
		return
	}
	hdr, err := envelope.ParseHeader(body)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, probMalformed, err.Error())
		return
	}
	if hdr.ProfileID != id {
		writeProblem(w, http.StatusBadRequest, probMalformed, "envelope header profile id does not match the path")
		return
	}
	if hdr.DeviceID != device {
		// 422, not 403: the device is who it says, this envelope is not
		// its own (a queue copied from another kiosk). A 403 would hold
		// the kiosk's whole queue behind an envelope that can never pass.
		writeProblem(w, http.StatusUnprocessableEntity, probWrongDevice, "envelope was sealed by another device than the one authenticated")
		return
	}
	digest := api.ContentDigest(body)

	if !s.claim(id) {
		w.Header().Set("Retry-After", "1")
		writeProblem(w, http.StatusConflict, probInFlight, "this profile id is being stored by another request; retry")
		return
	}
	defer s.release(id)

	rec, err := s.store.replay(id, digest)
	switch {
	case err == nil:
		s.log.Info("profile replayed", "profile", id, "device", device, "replays", rec.Replays)
		s.writeStored(w, rec)
		return
	case errors.Is(err, errKeyReused):
		s.reused(w, id, device)
		return
	case !errors.Is(err, errNotFound):
		s.internal(w, "look up profile", err)
		return
	}

	// After the replay check: a stored envelope was verified when first
	// stored, and its replay must get the same 201 even if the device's
	// key has since been revoked.
	if !s.checkSignature(w, hdr, body, device) {
		return
	}
	rec, email, ok := s.open(w, hdr, body)
	if !ok {
		return
	}
	rec.Digest = digest
	if s.beforeCommit != nil {
		s.beforeCommit(id)
	}
	stored, replayed, err := s.store.put(rec, body, email)
	switch {
	case errors.Is(err, errKeyReused):
		s.reused(w, id, device)
		return
	case err != nil:
		s.internal(w, "store profile", err)
		return
	}
	if replayed {
		s.log.Info("profile replayed", "profile", id, "device", device, "replays", stored.Replays)
	} else {
		s.log.Info("profile stored", "profile", id, "device", device, "key", hdr.KeyID, "bytes", len(body))
	}
	s.writeStored(w, stored)
}

// open decrypts the envelope to check that the service can read it and to
// index its email. An envelope that does not open never will: 422 tells the
// kiosk to dead-letter it instead of retrying forever.
func (s *Server) open(w http.ResponseWriter, hdr *envelope.Header, body []byte) (*record, [32]byte, bool) {
	if _, ok := s.keys[hdr.KeyID]; !ok {
		s.log.Warn("envelope sealed to an unknown key", "profile", hdr.ProfileID, "device", hdr.DeviceID, "key", logSafe(hdr.KeyID))
		writeProblem(w, http.StatusUnprocessableEntity, probUnknownKey,
			fmt.Sprintf("envelope is sealed to key %s, which this service does not hold", logSafe(hdr.KeyID)))
		return nil, [32]byte{}, false
	}
	_, p, err := envelope.Open(s.keys, body)
	if err == nil {
		err = p.Validate()
	}
	if err != nil {
		// Open's and Validate's errors name ids, kinds and lengths,
		// never the learner's name or email.
		s.log.Warn("envelope does not open", "profile", hdr.ProfileID, "device", hdr.DeviceID, "err", err)
		writeProblem(w, http.StatusUnprocessableEntity, probUndecryptable,
			"envelope does not decrypt to a valid profile; it will never be accepted")
		return nil, [32]byte{}, false
	}
	defer p.Wipe()
	now := s.now().UTC()
	rec := &record{
		ID:       hdr.ProfileID,
		Received: now,
		DeviceID: hdr.DeviceID,
		KeyID:    hdr.KeyID,
		Version:  hdr.Version,
		Signer:   hdr.Signer,
		IDType:   p.IDType,
		TwoSided: p.TwoSided,
		State:    api.StatePendingReview,
		Updated:  now,
		Stores:   1,
	}
	return rec, s.store.emailKey(p.Email), true
}

func (s *Server) writeStored(w http.ResponseWriter, rec *record) {
	w.Header().Set("Location", "/v1/profiles/"+rec.ID)
	writeJSON(w, http.StatusCreated, rec.result())
}

func (s *Server) reused(w http.ResponseWriter, id, device string) {
	s.log.Warn("idempotency key reused with a different body", "profile", id, "device", device)
	writeProblem(w, http.StatusUnprocessableEntity, probKeyReused,
		"this profile id was already stored with a different body")
}

func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.log.Error(what, "err", err)
	writeProblem(w, http.StatusInternalServerError, probInternal, what+" failed")
}

// readBody reads at most limit bytes, answering 413 beyond that.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	tooLarge := fmt.Sprintf("body is over the limit of %d bytes", limit)
	if r.ContentLength > limit {
		writeProblem(w, http.StatusRequestEntityTooLarge, probTooLarge, tooLarge)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeProblem(w, http.StatusRequestEntityTooLarge, probTooLarge, tooLarge)
			return nil, false
		}
		writeProblem(w, http.StatusBadRequest, probMalformed, "read body: "+err.Error())
		return nil, false
	}
	return body, true
}

// handleStatus answers where a profile's review stands.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request, device string) {
	id := r.PathValue("id")
	if !validProfileID(id) {
		writeProblem(w, http.StatusBadRequest, probMalformed, "profile id must be a lowercase UUID")
		return
	}
	rec, err := s.store.get(id)
	if errors.Is(err, errNotFound) {
		writeProblem(w, http.StatusNotFound, probNotFound, "no profile with this id")
		return
	}
	if err != nil {
		s.internal(w, "read profile", err)
		return
	}
	writeJSON(w, http.StatusOK, rec.status())
}

// validProfileID accepts the canonical form uuid.New().String() produces,
// so one profile cannot hide behind two spellings of its id.
func validProfileID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}
