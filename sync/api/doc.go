// Package api holds the contract between a kiosk and the central verification
// service: the OpenAPI 3.1 description (openapi.yaml, embedded as Spec), the
// profile a learner submits, the framing of that profile's plaintext before it
// is sealed, and the JSON bodies of the other endpoints.
//
// Both sides import this package, so a change here is a change to the wire
// format: bump PayloadVersion (or the envelope version) rather than changing
// the meaning of an existing field.
package api
