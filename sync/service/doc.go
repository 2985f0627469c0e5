// Package service is the reference central verification service: the server
// side of the contract in package api, used by cmd/verifyd, `make run` and the
// end-to-end tests, and small enough to read in one sitting.
//
// It stores every sealed profile exactly once in bbolt (fsync on every
// commit, so a 201 means the envelope is on disk), answers replays of the same
// Idempotency-Key with the same answer, and decrypts only when a reviewer looks
// at a profile: envelopes stay sealed at rest, and the only trace of an email
// on disk is an HMAC under a per-installation secret, so account lookups work
// without a plaintext email index.
//
// Devices: the service is served over TLS (TLSConfig; DevServerTLS makes a
// private CA and certificate for development and small sites). Kiosks
// enroll once with a one-time code (AddDevice issues it, hashed at rest,
// expiring) and get a client certificate from the service's own device CA;
// every device route then checks the certificate against the registry
// (devices.json) on every request, so RevokeDevice applies at once. Each
// envelope must also carry the device's Ed25519 signature (envelope v2),
// checked against the key recorded at enrollment; see checkSignature for
// the policy on unsigned v1 envelopes.
//
// Keys: Options.Keys holds every private key the service ever used, so a
// rotation never strands an envelope; kiosks are told the current one.
//
// Routes (Go 1.22 ServeMux patterns):
//
//	POST /v1/enroll                    one-time code -> client certificate (no client certificate)
//	GET  /v1/keys                      the service's HPKE public keys, current marked
//	PUT  /v1/profiles/{id}             device-authenticated, signature-checked ingest
//	GET  /v1/profiles/{id}/status      review state of one profile
//	POST /v1/accounts/lookup           does an account exist (rate limited per device)
//	POST /v1/devices/{id}/heartbeat    last seen, version, health, queue depth
//	GET  /healthz                      readiness, no auth
//	/review/...                        reviewer pages and JSON, HTTP Basic auth
//	/review/fleet, /review/api/fleet   every kiosk's last heartbeat, stale ones marked (fleet.go)
//
// Every error answer is an RFC 9457 problem document (application/problem+json).
package service
