package session

import "github.com/idkiosk/idkiosk/sync/api"

// RejectHook hears of every photo that failed its checks: the photo's kind
// and the names of the checks it failed (quality.Check.Name, a short fixed
// vocabulary). kioskd counts them for its metrics. It is called with the
// session's lock held, so it must return at once and must not call back
// into the session. It never sees the picture or anything about the
// learner.
type RejectHook func(kind api.PhotoKind, failed []string)

// reject tells the hook, if any, about a failed photo.
func (q *qualityState) reject(kind api.PhotoKind, failed []string) {
	if q.onReject != nil {
		q.onReject(kind, failed)
	}
}
