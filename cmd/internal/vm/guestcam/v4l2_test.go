package guestcam

import (
	"context"
	"image"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/v4l2"
)

// The go4vl code against a real driver: what Enumerate reports.
func TestEnumerate_Vivid(t *testing.T) {
	guest(t)
	cams, err := v4l2.Enumerate()
	if err != nil {
		t.Fatal(err)
	}
	if len(cams) != 1 {
		t.Fatalf("Enumerate found %d cameras (%+v), want vivid alone", len(cams), cams)
	}
	c := cams[0]
	if c.Path != video0 || c.Name != "vivid" || c.Driver != "vivid" || c.Bus != "platform:vivid-000" {
		t.Errorf("camera = %s %q driver %q bus %q, want %s vivid", c.Path, c.Name, c.Driver, c.Bus, video0)
	}
	var fourccs []string
	var yuyv *v4l2.FormatInfo
	for i, f := range c.Formats {
		fourccs = append(fourccs, f.FourCC)
		if f.FourCC == "YUYV" {
			yuyv = &c.Formats[i]
		}
	}
	if yuyv == nil || !slices.Contains(fourccs, "NV12") || slices.Contains(fourccs, "MJPG") {
		t.Fatalf("formats %v, want YUYV and NV12 and no MJPEG", fourccs)
	}
	found := false
	for _, s := range yuyv.Sizes {
		if s.Width == 640 && s.Height == 480 && slices.Contains(s.FPS, 15) {
			found = true
		}
	}
	if !found {
		t.Errorf("YUYV sizes %+v lack 640x480 at 15 fps", yuyv.Sizes)
	}
}

// Frames through each raw path, converted to 4:2:0 with the right size
// and picture, and the format read back from the driver.
func TestStream_Vivid(t *testing.T) {
	guest(t)
	setNode(t, 0o660)
	tests := []struct {
		format, want string
	}{
		{v4l2.FormatAuto, "YUYV 640x480 @ 15 fps"},
		{v4l2.FormatNV12, "NV12 640x480 @ 15 fps"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			cam := v4l2.New(v4l2.Options{Device: video0, Width: 640, Height: 480, FPS: 15, Format: tt.format})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			const n = 10
			var frames []*capture.Frame
			err := cam.Stream(ctx, func(f *capture.Frame) {
				if frames = append(frames, f); len(frames) == n {
					cancel()
				}
			})
			if err != nil || len(frames) < n {
				t.Fatalf("Stream = %v after %d frames, want %d frames", err, len(frames), n)
			}
			if f, ok := cam.Format(); !ok || f.String() != tt.want {
				t.Errorf("Format() = %v, %v; want %s", f, ok, tt.want)
			}
			img, err := frames[n-1].Image()
			if err != nil {
				t.Fatal(err)
			}
			yc, ok := img.(*image.YCbCr)
			if !ok || yc.SubsampleRatio != image.YCbCrSubsampleRatio420 || yc.Rect.Dx() != 640 || yc.Rect.Dy() != 480 {
				t.Fatalf("frame image %T %v, want 640x480 4:2:0 YCbCr", img, img.Bounds())
			}
			if l, r := columnLuma(img, 0, 60), columnLuma(img, 580, 640); l < r+80 {
				t.Errorf("left/right luma %.0f/%.0f, want colour bars", l, r)
			}
			// The white bar's chroma is neutral; the blue bar (7th of 8)
			// has Cb well above it.
			cbWhite := yc.Cb[yc.COffset(30, 240)]
			cbBlue := yc.Cb[yc.COffset(6*80+40, 240)]
			if int(cbBlue) < int(cbWhite)+40 {
				t.Errorf("Cb white %d, blue %d: chroma planes look wrong", cbWhite, cbBlue)
			}
			if _, err := frames[0].JPEG(); err != nil {
				t.Errorf("JPEG of a raw frame: %v", err)
			}
		})
	}
}

func TestSetControl_Vivid(t *testing.T) {
	guest(t)
	if err := v4l2.SetControl(video0, v4l2.ControlVividTestPattern, 5); err != nil {
		out, _ := exec.Command("v4l2-ctl", "-d", video0, "-l").CombinedOutput()
		t.Fatalf("%v\n%s", err, out)
	}
	defer v4l2.SetControl(video0, v4l2.ControlVividTestPattern, 0)
	if v, err := v4l2.Control(video0, v4l2.ControlVividTestPattern); err != nil || v != 5 {
		t.Errorf("test_pattern = %d, %v; want 5", v, err)
	}
	if err := v4l2.SetControl(video0, v4l2.ControlVividTestPattern, 99); err == nil {
		t.Errorf("an out-of-range value was accepted")
	}
}
