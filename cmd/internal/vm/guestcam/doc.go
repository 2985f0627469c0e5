// Package guestcam holds the camera tests that run inside the VM.
// cmd/internal/vm's TestCamera_Vivid builds this package's test binary and
// boots Debian's kernel with vivid as /dev/video0; here the real go4vl code
// captures from it, and kioskd, running as an unprivileged user, goes
// through every camera failure for real (busy, no permission, black,
// frozen, unplug and replug, wrong camera). Each is asserted on what
// kioskd's HTTP answers show: /healthz, /api/diagnostics for staff, the
// page's /api/state, and the MJPEG preview.
//
// Outside the VM (IDKIOSK_VM_GUEST unset) every test skips.
package guestcam
