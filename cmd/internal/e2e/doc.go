// Package e2e tests idkiosk as a person meets it: real kioskd and verifyd
// processes on loopback (built once per run), the kiosk page in Debian's
// headless Chromium, profiles checked where they land, decrypted by the
// service. Nothing is faked but the hardware, which is simulated exactly as
// in `make run`.
package e2e
