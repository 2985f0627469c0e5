// Package upload drains the outbox to the central service: the loop that
// turns "saved on this kiosk" into "delivered, exactly once".
//
// Exactly once rests on two halves. The kiosk resends a profile until it
// sees a verified 2xx, and deletes the sealed blob only after that (Ack);
// the service answers a resend of the same id and digest as a replay. So a
// PUT that dies halfway (power cut, timeout, cancelled context, an answer
// lost on the way back) is simply sent again, and the service stores it
// once.
//
// # Order and pacing
//
// Profiles go out in queue order with at most Parallel PUTs in flight, each
// started once the previous one's headers are on the wire; only the
// answers of those few may come back out of order (Parallel = 1 makes the
// order strict). The next envelope is read from disk only when a PUT slot
// is free, so memory holds at most Parallel envelopes whatever the backlog.
//
// The queue is head-of-line: a retryable failure defers that profile with
// jittered exponential backoff (Retry-After honoured, capped at
// MaxBackoff), stores the next attempt time durably, and nothing behind it
// is sent before then. Because the hold is the head's stored next attempt,
// it survives a reboot: a kiosk that was offline for a week does not wake
// up and fire its backlog at once. After a failure, and at start, one
// profile probes the service alone; only its success opens the window to
// Parallel. Staff end a hold early with outbox.RetryNow ("sync now").
//
// A permanent failure (a 4xx other than 408, 409 and 429, or 501)
// dead-letters that profile with the reason, counts it (Stats.Dead) and
// logs a warning; the queue moves on, and staff retry or export dead
// letters through kioskd's control socket. 401 and 403 are the device's
// problem, not the profile's: they hold the queue at MaxBackoff instead of
// dead-lettering every profile because a certificate or token expired.
//
// # After delivery
//
// When the queue is empty the outbox may compact its file
// (outbox.Compact decides whether it is worth it). With Status set, the
// review outcome of each delivered profile is polled (StatusPolicy) and its
// state kept in the receipt, so staff can tell a returning learner
// "approved" or "rejected" without any personal data on the kiosk.
package upload
