package whep

import (
	"sync"
	"time"
)

// Anyone who can reach the admin port can send requests without a token,
// and each would be an fsync'd audit line on the data partition the queue
// needs. failedAuthAudit lets a burst through (a person mistyping, a
// misconfigured scraper's first tries) and then one record a minute; each
// record says how many failures went unrecorded before it. The metrics
// count every failure.
const (
	failedAuthBurst    = 10
	failedAuthInterval = time.Minute
)

// failedAuthAudit is a token bucket over auth_failed audit records.
type failedAuthAudit struct {
	mu         sync.Mutex
	tokens     float64
	last       time.Time
	suppressed int
}

func newFailedAuthAudit() *failedAuthAudit {
	return &failedAuthAudit{tokens: failedAuthBurst}
}

// allow reports whether a failure at now gets an audit record, and how
// many failures were not recorded since the previous record.
func (a *failedAuthAudit) allow(now time.Time) (ok bool, unrecorded int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.last.IsZero() && now.After(a.last) {
		a.tokens += float64(now.Sub(a.last)) / float64(failedAuthInterval)
		if a.tokens > failedAuthBurst {
			a.tokens = failedAuthBurst
		}
	}
	if now.After(a.last) {
		a.last = now
	}
	if a.tokens < 1 {
		a.suppressed++
		return false, 0
	}
	a.tokens--
	unrecorded, a.suppressed = a.suppressed, 0
	return true, unrecorded
}
