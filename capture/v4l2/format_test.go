package v4l2

import (
	"strings"
	"testing"

	vl "github.com/vladimirvivien/go4vl/v4l2"
)

func TestChooseFormat(t *testing.T) {
	uvc := []vl.FourCCType{vl.PixelFmtYUYV, vl.PixelFmtMJPEG}
	vivid := []vl.FourCCType{vl.PixelFmtYUYV, vl.PixelFmtNV12, vl.PixelFmtRGB24}
	tests := []struct {
		name    string
		offered []vl.FourCCType
		pref    string
		want    vl.FourCCType
		wantErr string
	}{
		{"auto takes MJPEG when offered", uvc, FormatAuto, vl.PixelFmtMJPEG, ""},
		{"empty means auto", uvc, "", vl.PixelFmtMJPEG, ""},
		{"auto falls back to YUYV", vivid, FormatAuto, vl.PixelFmtYUYV, ""},
		{"old JPEG fourcc counts as MJPEG", []vl.FourCCType{vl.PixelFmtJPEG, vl.PixelFmtYUYV}, FormatAuto, vl.PixelFmtJPEG, ""},
		{"NV12 last", []vl.FourCCType{vl.PixelFmtRGB24, vl.PixelFmtNV12}, FormatAuto, vl.PixelFmtNV12, ""},
		{"forced YUYV on an MJPEG camera", uvc, FormatYUYV, vl.PixelFmtYUYV, ""},
		{"forced NV12", vivid, FormatNV12, vl.PixelFmtNV12, ""},
		{"forced MJPEG missing", vivid, FormatMJPEG, 0, "offered: YUYV NV12 RGB3"},
		{"nothing usable", []vl.FourCCType{vl.PixelFmtRGB24}, FormatAuto, 0, "offered: RGB3"},
		{"unknown preference", uvc, "h264", 0, "unknown format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chooseFormat(tt.offered, tt.pref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("chooseFormat = %s, %v; want an error containing %q", fourCC(got), err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("chooseFormat = %s, %v; want %s", fourCC(got), err, fourCC(tt.want))
			}
		})
	}
}

func TestFormat_String(t *testing.T) {
	tests := []struct {
		f    Format
		want string
	}{
		{Format{"YUYV", 640, 480, 15}, "YUYV 640x480 @ 15 fps"},
		{Format{"MJPG", 1280, 720, 29.97}, "MJPG 1280x720 @ 29.97 fps"},
		{Format{"NV12", 320, 240, 0}, "NV12 320x240"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.f, got, tt.want)
		}
	}
	if !ValidFormat("auto") || !ValidFormat("yuyv") || ValidFormat("h264") {
		t.Errorf("ValidFormat disagrees with the preferences table")
	}
}
