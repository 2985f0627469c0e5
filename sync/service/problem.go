package service

import (
	"encoding/json"
	"net/http"

	"github.com/idkiosk/idkiosk/sync/api"
)

// Problem types. A kiosk acts on the status code; the type tells a person
// reading a dead-letter entry or a log which rule the request broke.
const (
	probMalformed     = "urn:idkiosk:problem:malformed-request"
	probUnauthorized  = "urn:idkiosk:problem:unauthorized"
	probForbidden     = "urn:idkiosk:problem:forbidden"
	probNotFound      = "urn:idkiosk:problem:not-found"     // a profile that is not stored
	probNoRoute       = "urn:idkiosk:problem:no-such-route" // a path the service does not serve
	probMethod        = "urn:idkiosk:problem:method-not-allowed"
	probInFlight      = "urn:idkiosk:problem:in-flight"
	probTooLarge      = "urn:idkiosk:problem:too-large"
	probMediaType     = "urn:idkiosk:problem:unsupported-media-type"
	probKeyReused     = "urn:idkiosk:problem:idempotency-key-reused"
	probUndecryptable = "urn:idkiosk:problem:envelope-undecryptable"
	probUnknownKey    = "urn:idkiosk:problem:unknown-key"
	probBadSignature  = "urn:idkiosk:problem:bad-signature"
	probUnsigned      = "urn:idkiosk:problem:unsigned-envelope"
	probWrongDevice   = "urn:idkiosk:problem:envelope-of-another-device"
	probEnrollCode    = "urn:idkiosk:problem:enrollment-code"
	probRateLimited   = "urn:idkiosk:problem:rate-limited"
	probInvalid       = "urn:idkiosk:problem:invalid-decision"
	probUnavailable   = "urn:idkiosk:problem:unavailable"
	probInternal      = "urn:idkiosk:problem:internal"
)

// writeProblem answers with an RFC 9457 problem document. detail must not
// carry personal data: kiosks log it and keep it with dead letters.
func writeProblem(w http.ResponseWriter, status int, typ, detail string) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(api.Problem{
		Type:   typ,
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
	})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, probInternal, "encode answer")
		return
	}
	writeJSONBytes(w, status, b)
}

func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
