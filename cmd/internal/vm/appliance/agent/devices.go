package agent

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// vivid's nodes with the appliance's module options (node_types=0x101):
// the capture node is kioskd's camera, the output node is looped into it.
const (
	captureNode = "/dev/video0"
	outputNode  = "/dev/video1"
)

// setNodes gives device nodes the group and mode udev gives them on the
// image (60-idkiosk-gpio.rules for GPIO chips; udev's own rules for video
// nodes): the guest runs no udev.
func setNodes(pattern, group string, mode os.FileMode) error {
	g, err := user.LookupGroup(group)
	if err != nil {
		return err
	}
	gid, _ := strconv.Atoi(g.Gid)
	nodes, _ := filepath.Glob(pattern)
	if len(nodes) == 0 {
		return fmt.Errorf("no device node %s", pattern)
	}
	for _, n := range nodes {
		if err := os.Chown(n, 0, gid); err != nil {
			return err
		}
		if err := os.Chmod(n, mode); err != nil {
			return err
		}
	}
	return nil
}

// loopCamera makes vivid show what is written to its output node: both
// ends at 640x480p59.94 (DV timings index 0, VGA) and the capture's "Loop
// Video" control on. The capture's pixel format is kioskd's choice (YUYV,
// vivid offering no MJPEG); the output is set to the same, as looping
// needs identical formats on both ends.
func loopCamera(ctx context.Context, w, h int) error {
	steps := [][]string{
		{"-d", captureNode, "--set-dv-bt-timings", "index=0"},
		{"-d", outputNode, "--set-dv-bt-timings", "index=0"},
		// vivid prints its counters over the picture (OSD text) unless
		// told not to; the photos show what the learner showed.
		{"-d", captureNode, "-c", "loop_video=1,osd_text_mode=2"},
		{"-d", outputNode, fmt.Sprintf("--set-fmt-video-out=width=%d,height=%d,pixelformat=YUYV", w, h)},
	}
	for _, args := range steps {
		if out, err := exec.CommandContext(ctx, "v4l2-ctl", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("v4l2-ctl %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	out, err := exec.CommandContext(ctx, "v4l2-ctl", "-d", captureNode, "--get-dv-timings").Output()
	if err != nil {
		return err
	}
	if want := fmt.Sprintf("Active width: %d", w); !strings.Contains(string(out), want) {
		return fmt.Errorf("vivid's DV timings are not %dx%d:\n%s", w, h, out)
	}
	return nil
}
