package control

import (
	"encoding/json"
	"time"
)

// Routes of the status commands (HandleStatus).
const (
	PathStatus   = "/v1/status"
	PathDiagnose = "/v1/diagnose"
	PathLogs     = "/v1/logs"
	PathKeys     = "/v1/keys"
)

// Status answers GET /v1/status: what staff mode shows and kioskctl status
// prints. Nothing in it is personal data: queue entries are ids, receipt
// references, times and the service's reasons; audit events name tokens
// and photo kinds, never a learner or a staff member.
type Status struct {
	Time   time.Time `json:"time"`   // the kiosk's clock when gathered
	Health string    `json:"health"` // ok | degraded, as /healthz says
	Alerts []Alert   `json:"alerts,omitempty"`

	Device Device     `json:"device"`
	Queue  QueueStats `json:"queue"`
	// OldestAge is how long the oldest queued profile has waited, in
	// seconds; 0 when nothing waits.
	OldestAge float64      `json:"oldest_age_seconds"`
	Dead      []DeadLetter `json:"dead"` // dead letters, newest first (at most 100: kioskctl queue list has all)
	Upload    Upload       `json:"upload"`

	Camera  Camera  `json:"camera"`
	Cradle  *Cradle `json:"cradle,omitempty"` // nil: no cradle fitted
	Disk    Disk    `json:"disk"`
	Clock   Clock   `json:"clock"`
	Network Network `json:"network"`

	// Audit is the newest staff and remote-preview events, newest first.
	Audit []AuditEvent `json:"audit"`
}

// Alert is a condition staff must act on. Code is stable (dead_letters,
// kiosk_full); Detail is for the log reader.
type Alert struct {
	Code   string     `json:"code"`
	Count  int        `json:"count,omitempty"`
	Since  *time.Time `json:"since,omitempty"`
	Detail string     `json:"detail,omitempty"`
}

// Device is the kiosk's identity.
type Device struct {
	ID          string    `json:"id"`
	Version     string    `json:"version"`
	Service     string    `json:"service"` // the service's URL
	Enrolled    time.Time `json:"enrolled"`
	CertSerial  string    `json:"cert_serial"`
	CertExpires time.Time `json:"cert_expires"`
	Signer      string    `json:"signer"`      // id of the Ed25519 key envelopes are signed with
	ServiceKey  string    `json:"service_key"` // id of the key new profiles are sealed to
}

// Upload is the uploader's counters since kioskd started.
type Upload struct {
	Attempts    int        `json:"attempts"`
	Delivered   int        `json:"delivered"`
	Retries     int        `json:"retries"`
	Dead        int        `json:"dead"`
	InFlight    int        `json:"in_flight"`
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	PausedUntil *time.Time `json:"paused_until,omitempty"` // next attempt after a failure
}

// Camera is the camera's state and its checks.
type Camera struct {
	Driver    string     `json:"driver"`
	State     string     `json:"state"` // capture.State: ok, disconnected, busy, ...
	Device    string     `json:"device,omitempty"`
	Format    string     `json:"format,omitempty"`
	FPS       float64    `json:"fps"`
	Frames    uint64     `json:"frames"`
	LastFrame *time.Time `json:"last_frame,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	Checks    []Check    `json:"checks"`
}

// Check is one camera check: Key and Params name its text in the
// kiosk-ui/i18n catalogues (camera.json), Message is that text in English.
type Check struct {
	ID      string            `json:"id"`
	Status  string            `json:"status"` // ok | warn | fail | skip
	Key     string            `json:"key"`
	Params  map[string]string `json:"params,omitempty"`
	Message string            `json:"message"`
}

// Cradle is the ID cradle's health; Problem and Params are a key of
// kiosk-ui/i18n/*/cradle.json, Message its English text.
type Cradle struct {
	Driver  string            `json:"driver"`
	Status  string            `json:"status"` // ok | fault
	Problem string            `json:"problem,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	Message string            `json:"message,omitempty"`
	Detail  string            `json:"detail,omitempty"`
}

// Disk is the data partition (queue, keys, audit).
type Disk struct {
	Path       string `json:"path"`
	FreeBytes  uint64 `json:"free_bytes"`
	TotalBytes uint64 `json:"total_bytes"`
	// MinFreeBytes: below this no new learner may start (queue.min_free_mb).
	MinFreeBytes uint64 `json:"min_free_bytes"`
	Error        string `json:"error,omitempty"`
}

// Clock is the kiosk's clock. A wrong clock breaks TLS and puts wrong
// times on profiles, so staff see it.
type Clock struct {
	Now  time.Time `json:"now"`
	Zone string    `json:"zone"`
	// Synced: the kernel says the clock is disciplined by NTP; nil when it
	// cannot tell.
	Synced *bool `json:"synced,omitempty"`
	// Skew is the service's clock minus ours, in seconds, from the Date
	// of its last answer (1 s resolution); nil before one arrived.
	Skew *float64 `json:"skew_seconds,omitempty"`
}

// Network is whether the service answers this kiosk: an authenticated
// request (mTLS) with a short timeout, cached for a little while.
type Network struct {
	Service   string     `json:"service"`
	Reachable bool       `json:"reachable"`
	Checked   *time.Time `json:"checked,omitempty"` // nil: not yet
	LatencyMS int64      `json:"latency_ms,omitempty"`
	Status    int        `json:"status,omitempty"` // the HTTP status of the answer
	Error     string     `json:"error,omitempty"`
}

// AuditEvent is one audit record: from staff mode (Source "staff") or the
// remote camera preview ("preview"). Only the fields of its kind are set.
type AuditEvent struct {
	Time   time.Time `json:"time"`
	Source string    `json:"source"`
	Event  string    `json:"event"`
	Reason string    `json:"reason,omitempty"`
	// Staff events.
	Kind      string     `json:"kind,omitempty"`
	Failed    []string   `json:"failed,omitempty"`
	Photos    []string   `json:"photos,omitempty"`
	Reference string     `json:"reference,omitempty"`
	Failures  int        `json:"failures,omitempty"`
	Until     *time.Time `json:"until,omitempty"`
	// Preview events.
	Token     string  `json:"token,omitempty"`
	Remote    string  `json:"remote,omitempty"`
	Seconds   float64 `json:"seconds,omitempty"`
	Connected bool    `json:"connected,omitempty"`
}

// Diagnosis answers POST /v1/diagnose: the camera's device checks, the
// cradle and the service run now, not from a cache. OK is false when any
// of them fails.
type Diagnosis struct {
	Time    time.Time `json:"time"`
	OK      bool      `json:"ok"`
	Camera  Camera    `json:"camera"`
	Cradle  *Cradle   `json:"cradle,omitempty"`
	Network Network   `json:"network"`
	Disk    Disk      `json:"disk"`
	Clock   Clock     `json:"clock"`
}

// Logs answers GET /v1/logs?limit=N&level=L: the newest log records kept
// in memory, oldest first, each the JSON object kioskd wrote to its log
// (which never holds personal data or secrets).
type Logs struct {
	Records []json.RawMessage `json:"records"`
	// Dropped counts older records that no longer fit the buffer.
	Dropped uint64 `json:"dropped"`
}

// Keys answers GET /v1/keys: the keys this kiosk holds and trusts, as
// fingerprints an operator can compare with the service's.
type Keys struct {
	Device      string       `json:"device"`
	Signer      SignerKey    `json:"signer"`
	Certificate CertInfo     `json:"certificate"`
	ServiceCA   []CertInfo   `json:"service_ca"`
	ServiceKeys []ServiceKey `json:"service_keys"`
}

// SignerKey is the device's Ed25519 envelope-signing key.
type SignerKey struct {
	ID        string `json:"id"`
	PublicKey []byte `json:"public_key"` // 32 bytes; base64 in JSON
}

// CertInfo describes an X.509 certificate.
type CertInfo struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	SHA256    string    `json:"sha256"`      // of the certificate (DER), hex
	SPKI      string    `json:"spki_sha256"` // of its public key, hex
}

// ServiceKey is one pinned service HPKE key.
type ServiceKey struct {
	KeyID   string `json:"key_id"`
	Current bool   `json:"current"` // new profiles are sealed to it
	Suite   string `json:"suite"`   // KEM/KDF/AEAD ids, e.g. 0x0041/0x0001/0x0003
	SHA256  string `json:"sha256"`  // of the public key bytes, hex
}
