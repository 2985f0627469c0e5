package v4l2

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	vl "github.com/vladimirvivien/go4vl/v4l2"
)

// Info describes one video capture node.
type Info struct {
	Path   string   `json:"path"`              // /dev/videoN
	ByID   []string `json:"by_id,omitempty"`   // /dev/v4l/by-id links to it: use one in the config
	ByPath []string `json:"by_path,omitempty"` // /dev/v4l/by-path links (the USB port)
	Name   string   `json:"name"`              // the card name, e.g. "HD Pro Webcam C920"
	Driver string   `json:"driver,omitempty"`
	Bus    string   `json:"bus,omitempty"` // e.g. usb-0000:00:14.0-1
	// Formats is filled by Enumerate, not by List.
	Formats []FormatInfo `json:"formats,omitempty"`
	// Err says why the node could not be queried (no permission...); Name
	// then comes from sysfs.
	Err string `json:"error,omitempty"`
}

// FormatInfo is one pixel format a camera offers.
type FormatInfo struct {
	FourCC      string     `json:"fourcc"`
	Description string     `json:"description"`
	Sizes       []SizeInfo `json:"sizes"`
}

// SizeInfo is one frame size and its frame rates. A stepwise range is
// given as its largest size with Stepwise set.
type SizeInfo struct {
	Width    int       `json:"width"`
	Height   int       `json:"height"`
	FPS      []float64 `json:"fps,omitempty"`
	Stepwise bool      `json:"stepwise,omitempty"`
}

// The nodes List looks at, and where udev puts the stable links.
var (
	devDir      = "/dev"
	byIDDir     = "/dev/v4l/by-id"
	byPathDir   = "/dev/v4l/by-path"
	sysV4L      = "/sys/class/video4linux"
	videoNodeRE = regexp.MustCompile(`^video([0-9]+)$`)
)

// List returns the video capture nodes present, in /dev/videoN order,
// without their formats. It opens each node just long enough to ask what
// it is (VIDIOC_QUERYCAP): cheap enough to run every few seconds.
func List() ([]Info, error) { return list(false) }

// Enumerate is List with every format, frame size and frame rate each
// camera offers.
func Enumerate() ([]Info, error) { return list(true) }

func list(formats bool) ([]Info, error) {
	growStack()
	entries, err := os.ReadDir(devDir)
	if err != nil {
		return nil, err
	}
	type node struct {
		n    int
		path string
	}
	var nodes []node
	for _, e := range entries {
		if m := videoNodeRE.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.Atoi(m[1])
			nodes = append(nodes, node{n, filepath.Join(devDir, e.Name())})
		}
	}
	slices.SortFunc(nodes, func(a, b node) int { return cmp.Compare(a.n, b.n) })
	byID, byPath := links(byIDDir), links(byPathDir)
	var out []Info
	for _, nd := range nodes {
		info, ok := describe(nd.path, formats)
		if !ok {
			continue
		}
		info.ByID, info.ByPath = byID[nd.path], byPath[nd.path]
		out = append(out, info)
	}
	return out, nil
}

// describe queries one node; ok is false for nodes that are not capture
// devices (a UVC camera's metadata node, an M2M codec).
func describe(path string, formats bool) (Info, bool) {
	info := Info{Path: path}
	d, err := openDevice(path)
	if err != nil {
		var not notCapture
		if errors.As(err, &not) {
			return info, false
		}
		info.Err = err.Error()
		info.Name = sysfsName(path)
		return info, true
	}
	defer d.close()
	info.Name, info.Driver, info.Bus = d.caps.Card, d.caps.Driver, d.caps.BusInfo
	if formats {
		info.Formats = formatsOf(d.fd)
	}
	return info, true
}

func formatsOf(fd uintptr) []FormatInfo {
	descs, _ := vl.GetAllFormatDescriptions(fd)
	var out []FormatInfo
	for _, desc := range descs {
		fi := FormatInfo{FourCC: fourCC(desc.PixelFormat), Description: desc.Description}
		sizes, _ := vl.GetFormatFrameSizes(fd, desc.PixelFormat)
		for _, s := range sizes {
			si := SizeInfo{Width: int(s.Size.MaxWidth), Height: int(s.Size.MaxHeight), Stepwise: s.Type != vl.FrameSizeTypeDiscrete}
			if !si.Stepwise {
				si.FPS = ratesOf(fd, desc.PixelFormat, s.Size.MaxWidth, s.Size.MaxHeight)
			}
			fi.Sizes = append(fi.Sizes, si)
		}
		out = append(out, fi)
	}
	return out
}

// ratesOf lists the discrete frame rates of one size, fastest first.
func ratesOf(fd uintptr, pf vl.FourCCType, w, h uint32) []float64 {
	var out []float64
	for i := uint32(0); i < 64; i++ {
		iv, err := vl.GetFormatFrameInterval(fd, i, pf, w, h)
		if err != nil || iv.Interval.Min.Numerator == 0 {
			break
		}
		out = append(out, float64(iv.Interval.Min.Denominator)/float64(iv.Interval.Min.Numerator))
		if iv.Type != vl.FrameIntervalTypeDiscrete {
			break
		}
	}
	slices.SortFunc(out, func(a, b float64) int { return cmp.Compare(b, a) })
	return out
}

// links maps each device node to the symlinks in dir that point at it.
func links(dir string) map[string][]string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := map[string][]string{}
	for _, e := range entries {
		link := filepath.Join(dir, e.Name())
		target, err := filepath.EvalSymlinks(link)
		if err != nil {
			continue // dangling: the camera it named is gone
		}
		out[target] = append(out[target], link)
	}
	for _, l := range out {
		slices.Sort(l)
	}
	return out
}

// sysfsName is the kernel's name for a node, readable without opening it.
func sysfsName(path string) string {
	b, err := os.ReadFile(filepath.Join(sysV4L, filepath.Base(path), "name"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// notCapture is openDevice's error for a node that is not a capture device.
type notCapture struct{ path, card, driver string }

func (e notCapture) Error() string {
	return e.path + " (" + e.card + ", driver " + e.driver + ") is not a streaming video capture device"
}
