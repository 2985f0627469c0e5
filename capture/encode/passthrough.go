package encode

import (
	"errors"
	"fmt"
	"sync"
)

// Passthrough forwards the camera's own H.264 (a UVC camera with an H.264
// mode): no decode, no encode, almost no CPU. It keeps the last SPS and
// PPS and repeats them before every IDR, and drops pictures until the
// first decodable keyframe.
//
// A camera decides its own keyframes. Keyframe requests go to
// RequestKeyframe when set (e.g. a V4L2 camera's FORCE_KEY_FRAME control);
// otherwise a new viewer waits for the camera's next periodic IDR.
type Passthrough struct {
	// RequestKeyframe, if set, asks the camera for an IDR soon.
	RequestKeyframe func() error
	// FPS sets the first packet's duration; 0 takes DefaultFPS.
	FPS float64

	ps      paramSets
	cad     cadence
	once    sync.Once
	noKey   bool // the camera refused a keyframe request
	started bool
}

var _ Encoder = (*Passthrough)(nil)

// ErrNotH264 is returned by Passthrough.Encode for a frame that did not
// arrive as H.264.
var ErrNotH264 = errors.New("passthrough: the camera does not deliver H.264")

// Codec implements Encoder.
func (p *Passthrough) Codec() Codec { return CodecH264 }

// Encode implements Encoder.
func (p *Passthrough) Encode(in Input) ([]Packet, error) {
	p.once.Do(func() {
		p.cad.fps = p.FPS
		if p.cad.fps <= 0 {
			p.cad.fps = DefaultFPS
		}
	})
	hf, ok := in.Frame.(H264Frame)
	if !ok {
		return nil, ErrNotH264
	}
	var keyErr error
	if in.Keyframe && p.RequestKeyframe != nil && !p.noKey {
		// A camera that refuses once refuses always: stop asking, the
		// periodic IDR still comes.
		if err := p.RequestKeyframe(); err != nil {
			p.noKey = true
			keyErr = fmt.Errorf("passthrough: %w: %v", ErrNoKeyframe, err)
		}
	}
	dur := p.cad.next(in.Time)
	au, key, _ := p.ps.fix(hf.H264())
	if au == nil || (!p.started && !key) {
		// Nothing before the first keyframe with its parameter sets can
		// be decoded.
		return nil, keyErr
	}
	p.started = true
	return []Packet{{Data: au, Keyframe: key, Time: in.Time, Duration: dur}}, keyErr
}

// Close implements Encoder.
func (p *Passthrough) Close() error { return nil }
