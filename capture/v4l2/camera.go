package v4l2

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	vl "github.com/vladimirvivien/go4vl/v4l2"
	"golang.org/x/sys/unix"

	"github.com/idkiosk/idkiosk/capture"
)

// Defaults for Options.
const (
	DefaultWidth  = 640
	DefaultHeight = 480
	DefaultFPS    = 15
)

// pollTimeout bounds each wait for a frame, so a cancelled context is
// noticed within this long even when the camera sends nothing.
const pollTimeout = 200 * time.Millisecond

// Options configure a Camera. Zero values take the defaults.
type Options struct {
	// Device is the node to open: a stable /dev/v4l/by-id/... link in the
	// field (it names the camera, not the order USB enumerated it in), or
	// /dev/videoN.
	Device string
	// Width, Height and FPS are asked of the driver, which may round them;
	// Format reports what it chose. Defaults 640x480 at 15 fps.
	Width, Height int
	FPS           float64
	// Format is FormatAuto (default), FormatMJPEG, FormatYUYV or FormatNV12.
	Format string
	// JPEGQuality is set on frames kioskd has to encode itself (YUYV,
	// NV12); 0 leaves capture.DefaultJPEGQuality.
	JPEGQuality int
}

// Camera is a V4L2 capture device as a capture.Camera. Each Stream call
// opens the device, negotiates, streams until ctx ends or the device fails,
// and closes it again, so a capture.Runner can reopen it after an unplug.
type Camera struct {
	opts Options

	mu     sync.Mutex
	format Format
	agreed bool
}

var _ capture.Camera = (*Camera)(nil)

// New returns a camera for o.Device; nothing is opened until Stream.
func New(o Options) *Camera {
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = DefaultWidth, DefaultHeight
	}
	if o.FPS <= 0 {
		o.FPS = DefaultFPS
	}
	if o.Format == "" {
		o.Format = FormatAuto
	}
	return &Camera{opts: o}
}

// Name is the configured device path: stills and logs carry it.
func (c *Camera) Name() string { return c.opts.Device }

// Format returns the format the last Stream call agreed with the driver;
// ok is false before any Stream got that far.
func (c *Camera) Format() (f Format, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.format, c.agreed
}

// Stream implements capture.Camera. Errors wrap capture.ErrNoDevice,
// capture.ErrBusy or capture.ErrNoPermission where the cause is known.
func (c *Camera) Stream(ctx context.Context, emit func(*capture.Frame)) error {
	growStack()
	d, err := openDevice(c.opts.Device)
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.negotiate(c.opts); err != nil {
		return err
	}
	if err := d.start(); err != nil {
		return err
	}
	c.mu.Lock()
	c.format, c.agreed = d.format, true
	c.mu.Unlock()

	fds := []unix.PollFd{{Fd: int32(d.fd), Events: unix.POLLIN}}
	for {
		if ctx.Err() != nil {
			return nil
		}
		fds[0].Revents = 0
		n, err := unix.Poll(fds, int(pollTimeout/time.Millisecond))
		if errors.Is(err, syscall.EINTR) || (err == nil && n == 0) {
			continue
		}
		if err != nil {
			return classify("wait for frame from", d.path, err)
		}
		// POLLERR/POLLHUP (the device was unregistered) fall through to
		// DQBUF, whose errno says what happened.
		buf, err := dequeue(d.fd)
		if errors.Is(err, syscall.EAGAIN) {
			if fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
				// An error poll keeps reporting while DQBUF has nothing:
				// reopen rather than spin until the stall timeout.
				return fmt.Errorf("read frame from %s: device reports an error (poll events %#x)", d.path, fds[0].Revents)
			}
			continue // nothing ready after all
		}
		if err != nil {
			return classify("read frame from", d.path, err)
		}
		f := c.frame(d, buf, time.Now())
		if err := enqueue(d.fd, buf.index); err != nil {
			return classify("requeue buffer on", d.path, err)
		}
		if f != nil {
			emit(f)
		}
	}
}

// frame turns one dequeued buffer into a Frame, or nil for a buffer to
// skip (error flag, empty, truncated, not a JPEG): one bad frame must not
// end the stream. A camera that sends only bad frames stalls, and the
// Runner's StallTimeout handles that.
func (c *Camera) frame(d *device, b buffer, now time.Time) *capture.Frame {
	if b.flags&bufFlagError != 0 || b.bytesUsed == 0 || int(b.index) >= len(d.buffers) {
		return nil
	}
	mem := d.buffers[b.index]
	if int(b.bytesUsed) > len(mem) {
		return nil
	}
	data := mem[:b.bytesUsed]
	w, h, stride := int(d.pix.Width), int(d.pix.Height), int(d.pix.BytesPerLine)
	switch pf := d.pix.PixelFormat; {
	case isJPEG(pf):
		if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
			return nil // no SOI marker: a torn frame
		}
		// The mmap'd buffer goes back to the driver; the frame needs its
		// own copy, which is then shared by every consumer.
		return capture.NewJPEGFrame(append([]byte(nil), data...), w, h, now)
	case pf == vl.PixelFmtYUYV, pf == vl.PixelFmtNV12:
		if stride == 0 {
			stride = w
			if pf == vl.PixelFmtYUYV {
				stride = 2 * w
			}
		}
		convert := yuyvToYCbCr
		if pf == vl.PixelFmtNV12 {
			convert = nv12ToYCbCr
		}
		img, err := convert(data, w, h, stride)
		if err != nil {
			return nil
		}
		f := capture.NewImageFrame(img, now)
		f.Quality = c.opts.JPEGQuality
		return f
	}
	return nil
}

// String is for logs.
func (c *Camera) String() string { return fmt.Sprintf("v4l2 camera %s", c.opts.Device) }
