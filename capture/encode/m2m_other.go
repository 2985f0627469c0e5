//go:build !linux || !cgo

package encode

import "errors"

// NewM2M fails: V4L2 encoders exist only on Linux, through go4vl's cgo.
func NewM2M(path string, width, height int, s Settings) (*M2M, error) {
	return nil, errors.New("m2m: V4L2 encoders need linux and cgo")
}
