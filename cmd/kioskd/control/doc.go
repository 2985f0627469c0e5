// Package control is kioskd's local control socket: JSON over HTTP on a
// unix socket, for kioskctl and staff tools on the kiosk itself.
//
// Access is by file permissions, not by tokens: the socket is created with
// mode 0660 in a directory kioskd creates with mode 0750, so only kioskd's
// user and its group (the staff tools) can connect. Nothing here listens on
// the network.
//
// The server is a plain http.ServeMux: HandleQueue mounts the queue
// commands (list, retry dead letters, export dead letters, sync now),
// HandleStatus the status commands (status, diagnose, logs, keys; types in
// status.go), and other parts of kioskd mount their own routes with
// Handle. Answers are
// JSON (errors are RFC 9457 problem documents) except the export, which is
// a tar stream. Nothing served here carries personal data: queue entries
// are ids, times, sizes and error strings, exported profiles are the
// sealed envelopes, which only the central service can open, log records
// are what kioskd logs (which holds no personal data or secrets), and keys
// are public keys and fingerprints.
package control
