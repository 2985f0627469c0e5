package capture

import "context"

// Camera is a source of frames: the V4L2 camera on the kiosk, the simulator
// for `make run` and the tests.
type Camera interface {
	// Stream opens the camera and calls emit for each frame until ctx ends
	// (returns ctx.Err() or nil) or the camera fails (returns the error).
	// emit must be called from one goroutine at a time, and must not be
	// called after Stream returns.
	Stream(ctx context.Context, emit func(*Frame)) error
	// Name identifies the camera in stills and logs, e.g. "sim" or a
	// /dev/v4l/by-id path.
	Name() string
}
