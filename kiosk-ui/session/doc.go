// Package session is the authoritative state machine of one learner at the
// kiosk: welcome, consent, email, name, ID type, face photo, ID photos,
// review, durable save, receipt, and back to welcome.
//
// The web page only renders State and sends Actions; every rule lives here so
// that it is tested without a browser and cannot be bypassed from the page.
// The session talks to the camera, the cradle, the outbox and the account
// service through the small interfaces in deps.go, which the lead wires to
// capture.Hub, cradle.Sim (or the GPIO cradle), the outbox and the sync client.
//
// Staff mode (staff.go) sits beside the learner's flow: the staff screen,
// opened from welcome with the staff PIN, and the quality override, which
// needs the same PIN; wrong PINs lock the keypad for longer and longer.
//
// Personal data (name, email, photos) lives only in this process's memory and
// is wiped on every reset: inactivity, finish, decline, and after the profile
// has been saved. Nothing here writes to disk or logs personal data; learner
// facing text is returned as message keys for the i18n catalogues.
//
// Every photo comes from Camera.Still during this session. There is no way to
// hand the session an image from anywhere else, by design: the service only
// accepts live captures.
package session
