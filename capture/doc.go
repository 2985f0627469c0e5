// Package capture owns the camera side of the kiosk: frames, the hub that
// fans them out, the runner that keeps a camera streaming through unplugs,
// stills for the learner's photos and the MJPEG preview.
//
// Data flows one way:
//
//	Camera --Runner--> Hub --> PreviewHandler (local UI, MJPEG)
//	                      \--> Still (face and ID photos)
//	                      \--> later: quality checks, WebRTC encoder
//
// One capture goroutine (the Runner) publishes; any number of consumers
// read. The Hub keeps only the newest frame, so a slow consumer skips
// frames instead of queueing them and can never stall the camera or the
// other consumers. A Frame is immutable once published and shared by every
// consumer; its JPEG encoding and pixel decoding happen at most once.
//
// Camera is the contract every source meets: the V4L2 camera (go4vl, in
// capture/v4l2) and the simulator in capture/simcam. A camera's errors wrap
// ErrNoDevice, ErrBusy or ErrNoPermission when the cause is known; the
// Runner shows the matching State (StateForError), and capture/diag refines
// a streaming camera into black or frozen, a missing one into wrong_camera. Measured on the 2-core dev machine
// (go test -bench .): Publish ~0.2 µs with 1 or 16 consumers; encoding a
// raw 640x480 frame to JPEG ~3 ms, 1280x720 ~9 ms, which is why MJPEG
// cameras' bytes are passed through untouched.
package capture
