package capture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"sync"
	"time"
)

// DefaultJPEGQuality is used when a Frame built from raw pixels is encoded
// and Quality was not set.
const DefaultJPEGQuality = 85

// Frame is one camera image. A frame is immutable once published to a Hub:
// every consumer shares the same value, and JPEG and Image memoize their
// result, so the encode or decode is paid at most once however many
// consumers ask.
//
// Callers must not modify the slices or pixels returned by JPEG and Image:
// they are shared with every other consumer of the frame.
type Frame struct {
	// Seq is the position of the frame in its hub's stream, starting at 1.
	// The hub assigns it on Publish; it is 0 before.
	Seq uint64
	// Time is when the frame was captured.
	Time time.Time
	// Width and Height are the frame's size in pixels.
	Width, Height int
	// Quality is the JPEG quality used when a raw frame is encoded; 0 means
	// DefaultJPEGQuality. Set it before publishing; it has no effect on
	// frames that arrived as JPEG.
	Quality int

	jpeg    []byte
	jpegErr error
	jpegOne sync.Once

	img    image.Image
	imgErr error
	imgOne sync.Once
}

// NewJPEGFrame wraps a JPEG from an MJPEG camera. The bytes are passed through
// untouched to JPEG consumers (no re-encode), and decoded only if someone
// asks for Image. The frame takes ownership of jpeg. If width or height is
// not positive they are read from the JPEG header.
func NewJPEGFrame(jpegData []byte, width, height int, t time.Time) *Frame {
	f := &Frame{Time: t, Width: width, Height: height, jpeg: jpegData}
	if len(jpegData) == 0 {
		f.jpegErr = errors.New("frame: empty jpeg")
	}
	if (width <= 0 || height <= 0) && f.jpegErr == nil {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(jpegData))
		if err != nil {
			f.jpegErr = fmt.Errorf("frame: read jpeg header: %w", err)
		} else {
			f.Width, f.Height = cfg.Width, cfg.Height
		}
	}
	// The bytes are already there: mark the encode as done.
	f.jpegOne.Do(func() {})
	return f
}

// NewImageFrame wraps raw pixels from a YUYV camera or the simulator. The
// frame takes ownership of img; it is JPEG-encoded only when someone asks.
func NewImageFrame(img *image.YCbCr, t time.Time) *Frame {
	f := &Frame{Time: t}
	if img == nil {
		f.imgErr = errors.New("frame: nil image")
	} else {
		b := img.Bounds()
		f.Width, f.Height = b.Dx(), b.Dy()
		f.img = img
	}
	f.imgOne.Do(func() {})
	return f
}

// JPEG returns the frame as JPEG. For MJPEG frames these are the camera's
// own bytes; raw frames are encoded on the first call and the result is
// shared by every later caller. Do not modify the returned slice.
func (f *Frame) JPEG() ([]byte, error) {
	f.jpegOne.Do(f.encode)
	return f.jpeg, f.jpegErr
}

// Image returns the frame's pixels. MJPEG frames are decoded on the first
// call and the result is shared by every later caller. Do not modify the
// returned image.
func (f *Frame) Image() (image.Image, error) {
	f.imgOne.Do(f.decode)
	return f.img, f.imgErr
}

func (f *Frame) encode() {
	// Only raw frames get here: NewJPEGFrame spends the Once up front.
	if f.imgErr != nil {
		f.jpegErr = f.imgErr
		return
	}
	q := f.Quality
	if q <= 0 || q > 100 {
		q = DefaultJPEGQuality
	}
	var buf bytes.Buffer
	// A 640x480 frame at q85 is 30-60 KB; growing from zero costs several
	// copies, so start near the usual size.
	buf.Grow(f.Width * f.Height / 6)
	if err := jpeg.Encode(&buf, f.img, &jpeg.Options{Quality: q}); err != nil {
		f.jpegErr = fmt.Errorf("frame: encode jpeg: %w", err)
		return
	}
	f.jpeg = buf.Bytes()
}

func (f *Frame) decode() {
	// Only JPEG frames get here: NewImageFrame spends the Once up front.
	if f.jpegErr != nil {
		f.imgErr = f.jpegErr
		return
	}
	img, err := jpeg.Decode(bytes.NewReader(f.jpeg))
	if err != nil {
		f.imgErr = fmt.Errorf("frame: decode jpeg: %w", err)
		return
	}
	f.img = img
}
