package whep

import (
	"encoding/json"
	"net/http"
)

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Problem types: stable strings a client can switch on.
const (
	probUnauthorized = "urn:idkiosk:whep:unauthorized"
	probBadOffer     = "urn:idkiosk:whep:bad-offer"
	probMediaType    = "urn:idkiosk:whep:unsupported-media-type"
	probTooLarge     = "urn:idkiosk:whep:offer-too-large"
	probTooMany      = "urn:idkiosk:whep:too-many-viewers"
	probNotFound     = "urn:idkiosk:whep:no-such-session"
	probMethod       = "urn:idkiosk:whep:method-not-allowed"
	probInternal     = "urn:idkiosk:whep:internal"
)

func writeProblem(w http.ResponseWriter, status int, typ, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(problem{Type: typ, Title: title, Status: status, Detail: detail})
}
