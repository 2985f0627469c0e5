package whep

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Event is one audit record: who watched the camera, from where, when.
// It never holds a token, only the token's name.
type Event struct {
	Time    time.Time `json:"time"`
	Event   string    `json:"event"`
	Session string    `json:"session,omitempty"`
	Token   string    `json:"token,omitempty"` // the token's name
	Remote  string    `json:"remote"`          // the viewer's address (HTTP peer)
	Start   time.Time `json:"start,omitzero"`
	End     time.Time `json:"end,omitzero"`
	Seconds float64   `json:"seconds,omitempty"`
	// Connected: the viewer's media path came up at some point (a session
	// that never connected showed nothing).
	Connected bool   `json:"connected,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Unrecorded, on auth_failed: failures since the previous auth_failed
	// record that got none, past the burst the audit lets through.
	Unrecorded int `json:"unrecorded,omitempty"`
}

// Audit event names.
const (
	EventStart      = "viewer_start"   // an answer was given; the banner is up
	EventEnd        = "viewer_end"     // Reason says why
	EventRefused    = "viewer_refused" // authenticated, but over a viewer limit or a bad offer
	EventAuthFailed = "auth_failed"    // no or unknown token
)

// Why a session ended (Event.Reason).
const (
	ReasonDeleted        = "deleted"         // the viewer sent DELETE
	ReasonClosed         = "closed"          // the viewer closed the connection (DTLS close)
	ReasonVanished       = "vanished"        // ICE consent stopped: reaped
	ReasonConnectTimeout = "connect_timeout" // never connected
	ReasonShutdown       = "shutdown"        // kioskd stopping
)

// Auditor records audit events. Record must not block for long: it runs
// on request and connection paths.
type Auditor interface {
	Record(Event) error
}

// AuditFile appends events as JSON lines to a file, each written and
// fsync'd before Record returns: the audit trail of who watched must
// survive a power cut that follows. Safe for concurrent use. The file is
// opened in append mode, so logrotate's copytruncate works on it.
type AuditFile struct {
	mu sync.Mutex
	f  *os.File
}

// OpenAuditFile opens (creating, mode 0600) the audit file at path.
func OpenAuditFile(path string) (*AuditFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	return &AuditFile{f: f}, nil
}

// Record implements Auditor.
func (a *AuditFile) Record(e Event) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return fmt.Errorf("audit: closed")
	}
	if _, err := a.f.Write(line); err != nil {
		return fmt.Errorf("audit: write: %w", err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("audit: sync: %w", err)
	}
	return nil
}

// Close closes the file.
func (a *AuditFile) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	return err
}
