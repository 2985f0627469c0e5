package v4l2

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	vl "github.com/vladimirvivien/go4vl/v4l2"
	"golang.org/x/sys/unix"
)

// bufferCount is how many mmap buffers we ask the driver for. Two is the
// minimum vivid and most UVC drivers accept; four leaves room for one frame
// being converted and one in flight while the driver fills the others, so a
// slow conversion under load makes the driver skip, not stall.
const bufferCount = 4

// device is one open V4L2 capture node, from open to close. It implements
// go4vl's StreamingDevice so go4vl's REQBUFS, mmap and STREAMON helpers
// work on it; the methods it does not use are inert.
type device struct {
	path    string
	fd      uintptr
	caps    vl.Capability
	count   uint32
	buffers [][]byte
	pix     vl.PixFormat
	format  Format
	on      bool // STREAMON succeeded
	closed  bool
}

// openDevice opens path and checks it is a streaming capture node.
func openDevice(path string) (*device, error) {
	fd, err := vl.OpenDevice(path, syscall.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, classify("open", path, err)
	}
	d := &device{path: path, fd: fd}
	caps, err := vl.GetCapability(fd)
	if err != nil {
		d.close()
		return nil, classify("query", path, err)
	}
	d.caps = caps
	if !isCapture(caps) {
		d.close()
		return nil, notCapture{path, caps.Card, caps.Driver}
	}
	return d, nil
}

// isCapture looks at the node's own capabilities when the driver gives
// them: a UVC camera's metadata node reports the whole device's
// VIDEO_CAPTURE in Capabilities but only META_CAPTURE for itself.
func isCapture(c vl.Capability) bool {
	caps := c.GetCapabilities()
	return caps&vl.CapVideoCapture != 0 && caps&vl.CapStreaming != 0
}

// negotiate sets the pixel format, size and frame rate, and reads back what
// the driver chose: drivers round sizes to what the sensor supports.
func (d *device) negotiate(o Options) error {
	descs, err := vl.GetAllFormatDescriptions(d.fd)
	if err != nil && len(descs) == 0 {
		return classify("list formats of", d.path, err)
	}
	offered := make([]vl.FourCCType, len(descs))
	for i, f := range descs {
		offered[i] = f.PixelFormat
	}
	pf, err := chooseFormat(offered, o.Format)
	if err != nil {
		return fmt.Errorf("%s: %w", d.path, err)
	}
	want := vl.PixFormat{Width: uint32(o.Width), Height: uint32(o.Height), PixelFormat: pf, Field: vl.FieldNone}
	if err := vl.SetPixFormat(d.fd, want); err != nil {
		return classify("set format on", d.path, err)
	}
	pix, err := vl.GetPixFormat(d.fd)
	if err != nil {
		return classify("read format of", d.path, err)
	}
	if pix.PixelFormat != pf {
		return fmt.Errorf("%s: asked for %s, driver chose %s", d.path, fourCC(pf), fourCC(pix.PixelFormat))
	}
	d.pix = pix
	d.format = Format{FourCC: fourCC(pf), Width: int(pix.Width), Height: int(pix.Height)}

	if o.FPS > 0 {
		// Milliframes, so 7.5 or 29.97 fps survive as a fraction.
		p := vl.StreamParam{Capture: vl.CaptureParam{TimePerFrame: vl.Fract{Numerator: 1000, Denominator: uint32(o.FPS*1000 + 0.5)}}}
		err := vl.SetStreamParam(d.fd, vl.BufTypeVideoCapture, p)
		switch {
		case err == nil, errors.Is(err, vl.ErrorUnsupported), errors.Is(err, vl.ErrorBadArgument):
			// Some drivers have no frame-rate control; they run at
			// their own rate, which G_PARM may still tell.
		default:
			return classify("set frame rate on", d.path, err)
		}
	}
	if p, err := vl.GetStreamParam(d.fd, vl.BufTypeVideoCapture); err == nil && p.Capture.TimePerFrame.Numerator > 0 {
		tpf := p.Capture.TimePerFrame
		d.format.FPS = float64(tpf.Denominator) / float64(tpf.Numerator)
	}
	return nil
}

// start allocates and maps the buffers, queues them all and starts
// streaming.
func (d *device) start() error {
	d.count = bufferCount
	req, err := vl.InitBuffers(d)
	if err != nil {
		return classify("request buffers on", d.path, err)
	}
	if req.Count < 2 {
		return fmt.Errorf("%s: driver granted %d buffers, need at least 2", d.path, req.Count)
	}
	d.count = req.Count
	if d.buffers, err = vl.MapMemoryBuffers(d); err != nil {
		return classify("map buffers of", d.path, err)
	}
	for i := range d.count {
		if err := enqueue(d.fd, i); err != nil {
			return classify("queue buffer on", d.path, err)
		}
	}
	if err := vl.StreamOn(d); err != nil {
		return classify("start stream on", d.path, err)
	}
	d.on = true
	return nil
}

// close stops streaming, unmaps and closes, ignoring errors: after an
// unplug every step but close(2) fails, and close(2) is the one that must
// happen.
func (d *device) close() {
	if d.closed {
		return
	}
	d.closed = true
	if d.on {
		_ = vl.StreamOff(d)
	}
	// go4vl maps with x/sys/unix, whose Munmap alone knows these
	// mappings (syscall.Munmap fails with EINVAL). A mapping left behind
	// holds the file open past close(2), and the driver keeps its buffers:
	// the next open gets EBUSY.
	for _, b := range d.buffers {
		if b != nil {
			_ = unix.Munmap(b)
		}
	}
	d.buffers = nil
	_ = vl.CloseDevice(d.fd)
}

// vl.StreamingDevice.
func (d *device) Name() string                { return d.path }
func (d *device) Fd() uintptr                 { return d.fd }
func (d *device) Capability() vl.Capability   { return d.caps }
func (d *device) MemIOType() vl.IOType        { return vl.IOTypeMMAP }
func (d *device) GetOutput() <-chan []byte    { return nil }
func (d *device) SetInput(<-chan []byte)      {}
func (d *device) Close() error                { d.close(); return nil }
func (d *device) Buffers() [][]byte           { return d.buffers }
func (d *device) BufferType() vl.BufType      { return vl.BufTypeVideoCapture }
func (d *device) BufferCount() uint32         { return d.count }
func (d *device) Start(context.Context) error { return d.start() }
func (d *device) Stop() error                 { d.close(); return nil }

var _ vl.StreamingDevice = (*device)(nil)
