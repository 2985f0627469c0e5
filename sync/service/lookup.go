package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/idkiosk/idkiosk/sync/api"
)

const maxLookupBytes = 4 << 10

// handleLookup tells a kiosk whether an account exists for an email, and
// where the newest profile for it stands. Rate limited per device, because
// an open "does this email exist" oracle is how account lists get scraped.
func (s *Server) handleLookup(w http.ResponseWriter, r *http.Request, device string) {
	if ok, wait := s.limiter.allow(device, s.now()); !ok {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		writeProblem(w, http.StatusTooManyRequests, probRateLimited, "too many account lookups from this device")
		return
	}
	body, ok := s.readBody(w, r, maxLookupBytes)
	if !ok {
		return
	}
	var req api.LookupRequest
	if err := decodeJSON(body, &req); err != nil {
		writeProblem(w, http.StatusBadRequest, probMalformed, "body must be {\"email\": \"...\"}")
		return
	}
	email := normalEmail(req.Email)
	if at := strings.LastIndexByte(email, '@'); at < 1 || at == len(email)-1 {
		writeProblem(w, http.StatusBadRequest, probMalformed, "email is not an address")
		return
	}
	key := s.store.emailKey(email)
	recs, err := s.store.byEmail(key)
	if err != nil {
		s.internal(w, "look up account", err)
		return
	}
	_, listed := s.accounts[key]
	resp := api.LookupResponse{Exists: listed || len(recs) > 0}
	if len(recs) > 0 {
		st := recs[0].status()
		resp.Verification = &st
	}
	writeJSON(w, http.StatusOK, resp)
}

const maxHeartbeatBytes = 16 << 10

// handleHeartbeat records that a kiosk is alive and how it feels.
func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request, device string) {
	if r.PathValue("id") != device {
		writeProblem(w, http.StatusForbidden, probForbidden, "a device may only send its own heartbeat")
		return
	}
	body, ok := s.readBody(w, r, maxHeartbeatBytes)
	if !ok {
		return
	}
	var hb api.Heartbeat
	if err := decodeJSON(body, &hb); err != nil {
		writeProblem(w, http.StatusBadRequest, probMalformed, "body is not a heartbeat: "+err.Error())
		return
	}
	if err := s.store.heartbeat(deviceRecord{ID: device, LastSeen: s.now().UTC(), Heartbeat: hb}); err != nil {
		s.internal(w, "store heartbeat", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// decodeJSON decodes exactly one JSON value. Unknown fields are ignored so
// that a newer kiosk adding one is not answered with a permanent 400.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
