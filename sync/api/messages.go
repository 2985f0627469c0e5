package api

import "time"

// ReviewState is where a profile stands with the human reviewers.
type ReviewState string

// Review states, as the service's status endpoint reports them.
const (
	StatePendingReview ReviewState = "pending_review"
	StateApproved      ReviewState = "approved"
	StateRejected      ReviewState = "rejected"
)

// ProfileStatus answers GET /v1/profiles/{id}/status.
type ProfileStatus struct {
	ID      string      `json:"id"`
	State   ReviewState `json:"state"`
	Reason  string      `json:"reason,omitempty"` // set when rejected
	Updated time.Time   `json:"updated"`
}

// StoreResult answers PUT /v1/profiles/{id}, identically on every replay.
type StoreResult struct {
	ID       string    `json:"id"`
	Received time.Time `json:"received"`
	Digest   string    `json:"digest"` // the Content-Digest the service stored
}

// LookupRequest is the body of POST /v1/accounts/lookup.
type LookupRequest struct {
	Email string `json:"email"`
}

// LookupResponse says whether an account exists for the email and, when the
// account has a verification profile, where its review stands.
type LookupResponse struct {
	Exists       bool           `json:"exists"`
	Verification *ProfileStatus `json:"verification,omitempty"`
}

// Heartbeat is the body of POST /v1/devices/{id}/heartbeat.
type Heartbeat struct {
	Version    string            `json:"version"`
	Health     string            `json:"health"` // ok | degraded | failing
	QueueDepth int               `json:"queue_depth"`
	Checks     map[string]string `json:"checks,omitempty"` // check id -> result
	Sent       time.Time         `json:"sent"`
	// For the fleet page; older kiosks leave them out.
	Camera       string     `json:"camera,omitempty"` // capture.State name: ok, disconnected, ...
	DeadLetters  int        `json:"dead_letters,omitempty"`
	OldestQueued *time.Time `json:"oldest_queued,omitempty"`
	AdminURL     string     `json:"admin_url,omitempty"` // the kiosk's admin listener (live preview)
}

// Problem is an RFC 9457 problem document, the body of every error answer.
type Problem struct {
	Type   string `json:"type,omitempty"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Header names used by the contract.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderContentDigest  = "Content-Digest" // RFC 9530, sha-256 only
	HeaderDeviceID       = "Device-Id"
)

// EnvelopeMediaType is the Content-Type of a sealed profile.
const EnvelopeMediaType = "application/vnd.idkiosk.envelope"
