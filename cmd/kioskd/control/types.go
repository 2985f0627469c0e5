package control

import "time"

// Routes of the queue commands.
const (
	PathQueue      = "/v1/queue"
	PathSyncNow    = "/v1/queue/sync-now"
	PathRetryDead  = "/v1/queue/dead/retry"
	PathExportDead = "/v1/queue/dead/export"
)

// QueueList answers GET /v1/queue: the outbox's counts, one page of queued
// profiles (oldest first) and every dead letter.
type QueueList struct {
	Stats  QueueStats   `json:"stats"`
	Queued []QueueItem  `json:"queued"`
	Dead   []DeadLetter `json:"dead"`
	// More is set when queued profiles after the last listed one exist;
	// ask again with ?after=<last seq>.
	More bool `json:"more,omitempty"`
}

// QueueStats are the outbox's counters.
type QueueStats struct {
	Queued      int        `json:"queued"`
	QueuedBytes int64      `json:"queued_bytes"`
	Oldest      *time.Time `json:"oldest,omitempty"`
	Dead        int        `json:"dead"`
	DeadBytes   int64      `json:"dead_bytes"`
	Delivered   int        `json:"delivered"`
	MaxItems    int        `json:"max_items"`
	MaxBytes    int64      `json:"max_bytes"`
}

// QueueItem is a profile waiting for delivery.
type QueueItem struct {
	ID          string    `json:"id"`
	Reference   string    `json:"reference"` // as printed on the learner's receipt
	Seq         uint64    `json:"seq"`
	Created     time.Time `json:"created"`
	Size        int64     `json:"size"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
}

// DeadLetter is a profile the service refused for good.
type DeadLetter struct {
	ID        string    `json:"id"`
	Reference string    `json:"reference"`
	Seq       uint64    `json:"seq"`
	Created   time.Time `json:"created"`
	DeadAt    time.Time `json:"dead_at"`
	Reason    string    `json:"reason"`
	Attempts  int       `json:"attempts"`
	Size      int64     `json:"size"`
}

// RetryDeadRequest is the body of POST /v1/queue/dead/retry. No ids means
// every dead letter.
type RetryDeadRequest struct {
	IDs []string `json:"ids,omitempty"`
}

// RetryDeadResult answers it.
type RetryDeadResult struct {
	Requeued int `json:"requeued"`
}

// ExportManifest is the manifest.json at the end of an export tar. Each
// entry's envelope is the file <id>.idke in the same archive.
type ExportManifest struct {
	Exported time.Time      `json:"exported"`
	Device   string         `json:"device,omitempty"`
	Profiles []ExportedDead `json:"profiles"`
}

// ExportedDead is one exported dead letter.
type ExportedDead struct {
	DeadLetter
	File   string `json:"file"`
	Digest string `json:"digest"` // Content-Digest of the envelope, as the PUT would send it
}

// Problem is an RFC 9457 problem document, the body of every error answer.
type Problem struct {
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}
