package encode

import (
	"errors"
	"image"
	"time"
)

// Encoder compresses frames of one size into one codec's bitstream. It is
// used from one goroutine at a time.
type Encoder interface {
	// Codec is what the encoder produces, for the SDP answer.
	Codec() Codec
	// Encode compresses one frame. It returns what is ready: usually one
	// packet, none while a hardware pipeline fills, never a part of a
	// frame. A frame of another size than the encoder's fails with an
	// error wrapping ErrSize.
	Encode(in Input) ([]Packet, error)
	// Close frees the encoder's buffers; Encode must not be called after.
	Close() error
}

// Input is one frame to encode.
type Input struct {
	Frame Frame
	// Time is when the frame was captured; packets carry it, and the gap
	// to the previous frame sets their duration and the rate control's
	// budget.
	Time time.Time
	// Keyframe asks for a frame a decoder can start from: a new viewer or
	// a viewer's picture loss indication is waiting for it.
	Keyframe bool
}

// Frame is what encoders read: *capture.Frame is one. Image is decoded or
// converted at most once per frame and shared with the frame's other
// consumers, so encoders must not modify it.
type Frame interface {
	Image() (image.Image, error)
}

// H264Frame is a frame that arrives already compressed by the camera: one
// H.264 access unit in Annex-B form (start codes). Passthrough needs it; a
// camera that negotiates H.264 delivers frames that implement it.
type H264Frame interface {
	H264() []byte
}

// Codec names an encoded stream the way WebRTC negotiates it.
type Codec struct {
	// MimeType is "video/VP8" or "video/H264".
	MimeType string
	// ClockRate of the RTP timestamps; 90 kHz for video.
	ClockRate uint32
	// FmtpLine is the SDP a=fmtp parameters, e.g. the H.264 profile.
	FmtpLine string
}

// The codecs this package produces.
var (
	CodecVP8 = Codec{MimeType: "video/VP8", ClockRate: 90000}
	// CodecH264 is Constrained Baseline level 3.1 in packetization mode 1:
	// what every browser decodes; level-asymmetry lets a browser that
	// offers a higher level accept it.
	CodecH264 = Codec{
		MimeType:  "video/H264",
		ClockRate: 90000,
		FmtpLine:  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
	}
)

// Packet is one encoded frame: a VP8 frame or an H.264 access unit.
type Packet struct {
	Data     []byte
	Keyframe bool
	// Time is when the frame was captured, and Duration how long it is
	// shown (until the next one); RTP timestamps advance by it.
	Time     time.Time
	Duration time.Duration
}

// Settings are the realtime settings every encoder takes. Zero fields take
// the defaults below.
type Settings struct {
	// FPS is the rate frames are fed at; it sets the rate control's
	// budget per frame and the keyframe distance in frames.
	FPS float64
	// BitrateKbps caps the stream (CBR). A 640x480 preview of a mostly
	// still scene looks fine at 500-1000 kbit/s.
	BitrateKbps int
	// KeyframeInterval is the longest run without a keyframe, so a viewer
	// that lost packets recovers even if its PLI is lost too.
	KeyframeInterval time.Duration
	// CPUUsed is libvpx's speed/quality knob (-16..16). In realtime mode a
	// positive value lets libvpx adapt its effort to (16-n)/16 of the frame
	// interval; 16 spends the least. Only VP8 reads it.
	CPUUsed int
	// Threads for libvpx; one beat two on the 2-vCPU dev machine.
	Threads int
}

// Defaults for Settings.
const (
	DefaultFPS              = 15
	DefaultBitrateKbps      = 1000
	DefaultKeyframeInterval = 2 * time.Second
	DefaultCPUUsed          = 16
	DefaultThreads          = 1
)

func (s Settings) withDefaults() Settings {
	if s.FPS <= 0 {
		s.FPS = DefaultFPS
	}
	if s.BitrateKbps <= 0 {
		s.BitrateKbps = DefaultBitrateKbps
	}
	if s.KeyframeInterval <= 0 {
		s.KeyframeInterval = DefaultKeyframeInterval
	}
	if s.CPUUsed == 0 {
		s.CPUUsed = DefaultCPUUsed
	}
	s.CPUUsed = max(-16, min(16, s.CPUUsed))
	if s.Threads <= 0 {
		s.Threads = DefaultThreads
	}
	return s
}

// keyframeDistance is KeyframeInterval in frames, at least 1.
func (s Settings) keyframeDistance() int {
	return max(1, int(s.KeyframeInterval.Seconds()*s.FPS+0.5))
}

// ErrSize is returned by Encode when a frame's size differs from the size
// the encoder was opened for; Live then opens a new encoder.
var ErrSize = errors.New("frame size differs from the encoder's")

// ErrNoKeyframe is returned (wrapped, once, with the frame's packets) by
// an encoder whose device refused a keyframe request; it ignores later
// requests and the stream goes on with its periodic keyframes.
var ErrNoKeyframe = errors.New("the device cannot force keyframes")

// ErrClosed is returned by Encode after Close.
var ErrClosed = errors.New("encoder closed")

// cadence turns capture times into packet durations: the gap since the
// previous frame (the next gap is not known yet, and cameras keep a steady
// rate), 1/fps for the first frame, at most a second so a stall does not
// make one frame's timestamp jump.
type cadence struct {
	fps  float64
	prev time.Time
}

func (c *cadence) next(t time.Time) time.Duration {
	d := time.Duration(float64(time.Second) / c.fps)
	if !c.prev.IsZero() && t.After(c.prev) {
		d = min(t.Sub(c.prev), time.Second)
	}
	if t.After(c.prev) {
		c.prev = t
	}
	return d
}
