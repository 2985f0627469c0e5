package encode

import (
	"errors"
	"fmt"
	"time"
)

// M2M encodes H.264 on a V4L2 memory-to-memory encoder: the Pi 4's
// bcm2835-codec at /dev/video11, or any stateful encoder with an NV12
// input. Raw frames go in as NV12 (studio range); access units come out
// with SPS and PPS before every IDR (asked of the driver, and enforced
// here as for Passthrough).
//
// Untestable here: no encoder device exists on the dev machine or under
// qemu (vivid has none). The logic around the device (conversion,
// pipelining, keyframes, header handling) is unit-tested against a fake;
// the go4vl adapter (m2m_v4l2.go) is only compiled. What has not run:
// the driver's acceptance of the controls, its NV12 line and height
// alignment, the workaround for go4vl v0.5.0 never dequeuing input
// buffers, and the one-frame output lag assumed below.
type M2M struct {
	dev      m2mDevice
	pic      planar
	bufs     [3][]byte // NV12 inputs in rotation; see Encode
	next     int
	stride   int
	uvOffset int
	ps       paramSets
	cad      cadence
	pending  []Packet // metadata of frames sent, oldest first
	timeout  time.Duration
	noKey    bool // the device refused a keyframe request
	closed   bool
}

var _ Encoder = (*M2M)(nil)

// m2mDevice is the encoder hardware as M2M drives it; the go4vl adapter
// implements it, tests fake it.
type m2mDevice interface {
	// Layout is the NV12 input buffer the driver wants: line stride,
	// offset of the chroma plane, total size (drivers pad both).
	Layout() (stride, uvOffset, size int)
	// Send queues one raw frame; the device may still read it after Send
	// returns, until the frame's output has come back.
	Send(nv12 []byte, timeout time.Duration) error
	// Output delivers encoded buffers in input order.
	Output() <-chan []byte
	// ForceKeyframe makes the next frame an IDR.
	ForceKeyframe() error
	Close() error
}

// m2mOutputTimeout bounds the wait for an output buffer; a healthy
// encoder answers within a frame or two (tens of milliseconds).
const m2mOutputTimeout = 2 * time.Second

func newM2M(dev m2mDevice, width, height int, s Settings) (*M2M, error) {
	s = s.withDefaults()
	stride, uv, size := dev.Layout()
	m := &M2M{dev: dev, stride: stride, uvOffset: uv, cad: cadence{fps: s.FPS}, timeout: m2mOutputTimeout}
	m.pic.reset(width, height)
	for i := range m.bufs {
		m.bufs[i] = make([]byte, size)
	}
	// Fail at open, not at the first frame, if the layout cannot hold it.
	if err := m.pic.nv12(m.bufs[0], stride, uv); err != nil {
		dev.Close()
		return nil, fmt.Errorf("m2m: %w", err)
	}
	return m, nil
}

// Codec implements Encoder.
func (m *M2M) Codec() Codec { return CodecH264 }

// Encode implements Encoder. The device works in parallel with the caller:
// a frame's access unit usually comes back during the next call (go4vl
// collects outputs when it is handed an input), so the stream runs one
// frame behind the camera, ~67 ms at 15 fps. At most two frames are in
// flight; with three input buffers in rotation, a buffer is reused only
// after its frame has been encoded.
func (m *M2M) Encode(in Input) ([]Packet, error) {
	if m.closed {
		return nil, ErrClosed
	}
	img, err := in.Frame.Image()
	if err != nil {
		return nil, fmt.Errorf("m2m: %w", err)
	}
	if err := m.pic.fill(img); err != nil {
		return nil, fmt.Errorf("m2m: %w", err)
	}
	buf := m.bufs[m.next]
	m.next = (m.next + 1) % len(m.bufs)
	if err := m.pic.nv12(buf, m.stride, m.uvOffset); err != nil {
		return nil, fmt.Errorf("m2m: %w", err)
	}
	var keyErr error
	if in.Keyframe && !m.noKey {
		if err := m.dev.ForceKeyframe(); err != nil {
			// Asked once, refused: the GOP's periodic IDR still comes.
			m.noKey = true
			keyErr = fmt.Errorf("m2m: %w: %v", ErrNoKeyframe, err)
		}
	}
	if err := m.dev.Send(buf, m.timeout); err != nil {
		return nil, fmt.Errorf("m2m: send frame: %w", err)
	}
	m.pending = append(m.pending, Packet{Time: in.Time, Duration: m.cad.next(in.Time)})
	var out []Packet
	// Wait while two frames are in flight, then take whatever else is
	// ready without waiting.
	for len(m.pending) > 1 {
		p, _, err := m.receive(true)
		if err != nil {
			return out, err
		}
		if p != nil {
			out = append(out, *p)
		}
	}
	for len(m.pending) > 0 {
		p, got, err := m.receive(false)
		if err != nil {
			return out, err
		}
		if !got {
			break
		}
		if p != nil {
			out = append(out, *p)
		}
	}
	return out, keyErr
}

// receive takes one output buffer, waiting up to the timeout if wait, and
// reports whether there was one. It returns the packet for the oldest
// pending frame, or nil for a buffer that held no picture (SPS/PPS alone).
func (m *M2M) receive(wait bool) (*Packet, bool, error) {
	var data []byte
	var ok bool
	if wait {
		t := time.NewTimer(m.timeout)
		defer t.Stop()
		select {
		case data, ok = <-m.dev.Output():
		case <-t.C:
			return nil, false, fmt.Errorf("m2m: no output within %s", m.timeout)
		}
	} else {
		select {
		case data, ok = <-m.dev.Output():
		default:
			return nil, false, nil
		}
	}
	if !ok {
		return nil, false, errors.New("m2m: encoder stopped")
	}
	au, key, picture := m.ps.fix(data)
	if !picture {
		return nil, true, nil // remembered the parameter sets; no frame used
	}
	meta := m.pending[0]
	m.pending = m.pending[1:]
	if au == nil {
		return nil, true, nil
	}
	meta.Data, meta.Keyframe = au, key
	return &meta, true, nil
}

// Close implements Encoder.
func (m *M2M) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	return m.dev.Close()
}
