//go:build !cgo

package encode

import "errors"

// VP8 needs libvpx through cgo; a CGO_ENABLED=0 build has only the H.264
// encoders.
type VP8 struct{}

var _ Encoder = (*VP8)(nil)

// NewVP8 fails: this binary was built without cgo.
func NewVP8(width, height int, s Settings) (*VP8, error) {
	return nil, errors.New("vp8: built without cgo (libvpx)")
}

// Codec implements Encoder.
func (*VP8) Codec() Codec { return CodecVP8 }

// Encode implements Encoder.
func (*VP8) Encode(Input) ([]Packet, error) { return nil, ErrClosed }

// Close implements Encoder.
func (*VP8) Close() error { return nil }
