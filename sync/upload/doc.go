// Package upload drains the outbox to the central service: the loop that
// turns "saved on this kiosk" into "delivered, exactly once".
//
// Exactly once rests on two halves. The kiosk resends a profile until it
// sees a verified 2xx, and deletes the sealed blob only after that (Ack);
// the service answers a resend of the same id and digest as a replay. So a
// PUT that dies halfway (power cut, timeout, cancelled context) is simply
// sent again, and the service stores it once.
//
// Order and pacing: due items go out oldest first, one at a time. A
// retryable failure defers that item with jittered exponential backoff
// (Retry-After honoured, capped at MaxBackoff), stores the next attempt
// time durably, and pauses the whole queue until then: when the service is
// down, probing it with one profile is enough, and profiles keep their
// order when it comes back. The pause ends early when staff press "sync
// now" (outbox.RetryNow). A permanent failure dead-letters that profile with
// the reason and a warning, and the queue moves on. 401 and 403 are the
// device's problem, not the profile's: they hold the queue at MaxBackoff
// instead of dead-lettering every profile because a token expired.
package upload
