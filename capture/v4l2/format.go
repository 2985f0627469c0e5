package v4l2

import (
	"fmt"
	"slices"
	"strings"

	vl "github.com/vladimirvivien/go4vl/v4l2"
)

// Format preferences for Options.Format.
const (
	FormatAuto  = "auto" // MJPEG when offered, else YUYV, else NV12
	FormatMJPEG = "mjpeg"
	FormatYUYV  = "yuyv"
	FormatNV12  = "nv12"
)

// Format is what the camera and kioskd agreed on.
type Format struct {
	FourCC string  `json:"fourcc"` // "MJPG", "YUYV", "NV12"
	Width  int     `json:"width"`
	Height int     `json:"height"`
	FPS    float64 `json:"fps"` // 0 when the driver does not say
}

func (f Format) String() string {
	if f.FPS > 0 {
		return fmt.Sprintf("%s %dx%d @ %g fps", f.FourCC, f.Width, f.Height, f.FPS)
	}
	return fmt.Sprintf("%s %dx%d", f.FourCC, f.Width, f.Height)
}

// preferences lists, per Options.Format value, the pixel formats we take in
// order. JPEG is the older fourcc some UVC cameras still use for MJPEG.
var preferences = map[string][]vl.FourCCType{
	FormatAuto:  {vl.PixelFmtMJPEG, vl.PixelFmtJPEG, vl.PixelFmtYUYV, vl.PixelFmtNV12},
	FormatMJPEG: {vl.PixelFmtMJPEG, vl.PixelFmtJPEG},
	FormatYUYV:  {vl.PixelFmtYUYV},
	FormatNV12:  {vl.PixelFmtNV12},
}

// ValidFormat reports whether pref is a known Options.Format value.
func ValidFormat(pref string) bool {
	_, ok := preferences[pref]
	return ok
}

// chooseFormat picks the pixel format to ask for from what the camera
// offers.
func chooseFormat(offered []vl.FourCCType, pref string) (vl.FourCCType, error) {
	if pref == "" {
		pref = FormatAuto
	}
	want, ok := preferences[pref]
	if !ok {
		return 0, fmt.Errorf("unknown format preference %q", pref)
	}
	for _, f := range want {
		if slices.Contains(offered, f) {
			return f, nil
		}
	}
	names := make([]string, len(offered))
	for i, f := range offered {
		names[i] = fourCC(f)
	}
	return 0, fmt.Errorf("camera offers none of the formats kioskd reads for %q (offered: %s)", pref, strings.Join(names, " "))
}

// fourCC spells a pixel format code, e.g. "YUYV".
func fourCC(f vl.FourCCType) string {
	b := []byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)}
	return strings.TrimRight(string(b), " \x00")
}

func isJPEG(f vl.FourCCType) bool { return f == vl.PixelFmtMJPEG || f == vl.PixelFmtJPEG }
