package capture

import "time"

// Still is one full-resolution photo taken from the running stream.
type Still struct {
	JPEG   []byte
	Width  int
	Height int
	Time   time.Time // when the frame was captured
	Source string    // camera name, e.g. "sim" or a /dev/v4l/by-id path
}
