// Package kioskui serves the learner's touchscreen app on loopback: the
// embedded page (web/, vanilla ES modules, no build step), the message
// catalogues, and a small JSON API over the authoritative session state
// machine in package session.
//
// The page only renders session.State (pushed with Server-Sent Events) and
// posts session.Actions; photos come from the session's memory, the live
// preview from the capture package's MJPEG handler. There is no upload path
// and the page never touches a camera itself.
//
// Staff mode's screens (staff.go, web/js/screens/staff.js) read kioskd's
// status and run its repairs through /api/staff/*, which answer only while
// the session says the staff PIN was entered on the staff screen.
//
// The server is loopback-only, but a browser on the kiosk can still be
// pointed at hostile pages, so it defends like a public one: Host allowlist
// against DNS rebinding, same-origin JSON POSTs only (CSRF), small bodies,
// no-store on everything with personal data, and a strict CSP.
package kioskui
