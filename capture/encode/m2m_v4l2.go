//go:build linux && cgo

package encode

import (
	"context"
	"fmt"
	"time"

	"github.com/vladimirvivien/go4vl/device"
	"github.com/vladimirvivien/go4vl/v4l2"
)

// Codec controls go4vl v0.5.0 has no names for (linux/v4l2-controls.h,
// V4L2_CID_CODEC_BASE = 0x990900).
const (
	ctrlRepeatSeqHeader v4l2.CtrlID = 0x990900 + 226 // SPS/PPS before every IDR
	ctrlForceKeyFrame   v4l2.CtrlID = 0x990900 + 229 // a button: the next frame is an IDR
	ctrlH264IPeriod     v4l2.CtrlID = 0x990900 + 358
	ctrlH264Level       v4l2.CtrlID = 0x990900 + 359
	ctrlH264Profile     v4l2.CtrlID = 0x990900 + 363
)

// Control values (enum v4l2_mpeg_video_h264_profile and _level).
const (
	h264ProfileConstrainedBaseline = 1
	h264Level31                    = 9
)

// NewM2M opens the V4L2 M2M H.264 encoder at path (the Pi 4's
// /dev/video11) for width x height frames.
func NewM2M(path string, width, height int, s Settings) (*M2M, error) {
	s = s.withDefaults()
	dev, err := openGo4vlEncoder(path, width, height, s)
	if err != nil {
		return nil, fmt.Errorf("m2m %s: %w", path, err)
	}
	return newM2M(dev, width, height, s)
}

// go4vlEncoder adapts go4vl's device.Encoder to m2mDevice.
type go4vlEncoder struct {
	enc    *device.Encoder
	cancel context.CancelFunc
	layout [3]int
}

func openGo4vlEncoder(path string, width, height int, s Settings) (*go4vlEncoder, error) {
	enc, err := device.OpenEncoder(path, device.EncoderConfig{
		InputFormat:  v4l2.PixFormat{Width: uint32(width), Height: uint32(height), PixelFormat: v4l2.PixelFmtNV12},
		OutputFormat: v4l2.PixFormat{PixelFormat: v4l2.PixelFmtH264},
		// go4vl v0.5.0 stores these but does not set them; the controls
		// below do.
		Bitrate: uint32(s.BitrateKbps) * 1000,
		GOPSize: uint32(s.keyframeDistance()),
	})
	if err != nil {
		return nil, err
	}
	fd := enc.Fd()
	// The bitrate cap and SPS/PPS repetition matter; profile and level
	// keep the stream in what every browser decodes. A driver without one
	// of them still encodes, so only the bitrate is fatal.
	if err := v4l2.SetControlValue(fd, v4l2.CtrlMPEGVideoBitrate, v4l2.CtrlValue(s.BitrateKbps*1000)); err != nil {
		enc.Close()
		return nil, fmt.Errorf("set bitrate: %w", err)
	}
	_ = v4l2.SetControlValue(fd, ctrlRepeatSeqHeader, 1)
	_ = v4l2.SetControlValue(fd, ctrlH264IPeriod, v4l2.CtrlValue(s.keyframeDistance()))
	_ = v4l2.SetControlValue(fd, ctrlH264Profile, h264ProfileConstrainedBaseline)
	_ = v4l2.SetControlValue(fd, ctrlH264Level, h264Level31)

	ctx, cancel := context.WithCancel(context.Background())
	if err := enc.Start(ctx); err != nil {
		cancel()
		enc.Close()
		return nil, err
	}
	in := enc.GetInputFormat()
	stride := int(in.BytesPerLine)
	if stride < width {
		stride = width
	}
	size := int(in.SizeImage)
	// Single-planar NV12: chroma follows the (possibly height-padded) luma
	// plane, so it starts two thirds into the buffer.
	uv := size * 2 / 3
	if size < stride*height*3/2 {
		size, uv = stride*height*3/2, stride*height
	}
	return &go4vlEncoder{enc: enc, cancel: cancel, layout: [3]int{stride, uv, size}}, nil
}

func (g *go4vlEncoder) Layout() (int, int, int) { return g.layout[0], g.layout[1], g.layout[2] }

func (g *go4vlEncoder) Send(nv12 []byte, timeout time.Duration) error {
	// go4vl v0.5.0 queues input buffers in rotation but never dequeues
	// them; a driver then refuses to queue one again. Take back every
	// input buffer the device has finished with first (the fd is
	// non-blocking: this stops at EAGAIN).
	for {
		if _, err := v4l2.DequeueBufferOutput(g.enc.Fd(), v4l2.IOTypeMMAP); err != nil {
			break
		}
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case g.enc.GetInput() <- nv12:
		return nil
	case err := <-g.enc.GetError():
		return err
	case <-t.C:
		return fmt.Errorf("input queue full for %s", timeout)
	}
}

func (g *go4vlEncoder) Output() <-chan []byte { return g.enc.GetOutput() }

func (g *go4vlEncoder) ForceKeyframe() error {
	// A button control: the value is ignored, and 0 passes go4vl's range
	// check (buttons report min = max = 0).
	return v4l2.SetControlValue(g.enc.Fd(), ctrlForceKeyFrame, 0)
}

func (g *go4vlEncoder) Close() error {
	g.cancel()
	return g.enc.Close()
}
