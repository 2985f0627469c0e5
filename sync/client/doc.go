// Package client is the kiosk's HTTP client for the central service's
// contract (package api, openapi.yaml): PUT a sealed profile, ask for a
// profile's status, look up an account, send a heartbeat, fetch the
// service's keys, and enroll (Enroll, the one call without a client
// certificate).
//
// The kiosk authenticates with the client certificate from enrollment and
// trusts the service only through the CA it pinned then (PinnedTLS, in
// Options.TLS); FingerprintTLS pins a CA by its SHA-256 for enrollment.
//
// It wraps go-retryablehttp with this project's policy rather than the
// library's defaults:
//
//   - Retry transport errors, 408, 409, 429 and 5xx except 501; treat every
//     other 4xx and 501 as permanent. 409 is retried because the contract
//     uses it for "the same profile id is still in flight", which a resend
//     after a client timeout can meet. Transport errors include TLS
//     failures: a captive portal or a wrong clock fixes itself, and a
//     permanent verdict would dead-letter a learner's profile for a fault
//     of the network.
//   - Exponential backoff with full jitter, capped at MaxWait; Retry-After
//     honoured but capped at MaxWait too (the library's DefaultBackoff has
//     no jitter and would sleep as long as any server asks).
//   - PassthroughErrorHandler, so the last response is decoded into a
//     *StatusError instead of being replaced by "giving up after N attempts".
//   - Request bodies as []byte, so every retry resends the same bytes.
//   - A logger adapter to slog that strips query strings and credentials
//     from every URL it sees and never logs headers or bodies (the
//     library's default logger prints full URLs).
//   - Dial, TLS handshake, response header and whole-attempt timeouts;
//     response bodies read to at most MaxResponseBytes; redirects not
//     followed (the API has none; a redirect is a portal or a misconfigured
//     proxy, and following one would turn a PUT into a GET).
//
// A 2xx answer to PutProfile counts only if its StoreResult names the same
// profile and digest that were sent: a portal's "200 OK" login page must not
// make the kiosk delete a profile it never delivered.
package client
