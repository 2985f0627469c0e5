package vm

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/quality/qualitytest"
)

// vividParams: one vivid instance with a single video capture node and a
// webcam input (discrete sizes and frame rates, like a UVC camera).
const vividParams = "n_devs=1 node_types=0x1 input_types=0x0"

// cameraGuest builds what the camera guest tests need into a run directory
// and returns the options to boot them: kioskd and verifyd, the guestcam
// test binary, vivid, and busybox's mdev as a stand-in for udev, so a
// re-created /dev/video0 gets root:video 0660 as on a real system.
func cameraGuest(ctx context.Context, t testing.TB) (Options, string) {
	t.Helper()
	dir := TestRunDir(t)
	bin := filepath.Join(dir, "bin")
	if err := GoBuild(ctx, bin, "github.com/idkiosk/idkiosk/cmd/kioskd", "github.com/idkiosk/idkiosk/cmd/verifyd"); err != nil {
		t.Fatal(err)
	}
	// kioskd's photo checks load pigo's face cascade from beside the
	// binary, where make build puts it.
	cascade, err := qualitytest.CascadePath()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(cascade); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(filepath.Join(bin, "facefinder"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	test := filepath.Join(dir, "guestcam.test")
	if err := GoTestBinary(ctx, test, "github.com/idkiosk/idkiosk/cmd/internal/vm/guestcam"); err != nil {
		t.Fatal(err)
	}
	video, err := user.LookupGroup("video")
	if err != nil {
		t.Fatalf("the host has no video group: %v", err)
	}
	return Options{
		RunDir:  dir,
		Modules: []Module{{Name: "vivid", Params: vividParams}},
		Files:   map[string]string{"/etc/mdev.conf": "video[0-9]+ 0:" + video.Gid + " 660\n"},
		Init:    []string{"mdev -d || fail mdev"},
		Env:     []string{"IDKIOSK_VM_GUEST=1", "IDKIOSK_BIN=" + bin, "IDKIOSK_VM_OUT=" + dir},
	}, test
}

// TestCamera_Vivid runs the guestcam tests in a VM with vivid as the
// camera: go4vl capture, and kioskd through busy, no permission, black,
// frozen, unplug/replug and wrong camera.
func TestCamera_Vivid(t *testing.T) {
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	o, test := cameraGuest(ctx, t)
	if testing.Verbose() {
		o.Output = os.Stderr
	}
	res := RunTest(ctx, t, o, test, "-test.v", "-test.timeout", "4m")
	// A guest test that skipped (wrong environment) must not pass for one
	// that ran.
	for _, name := range []string{"TestKioskd_CameraFailuresAndRecovery", "TestEnumerate_Vivid", "TestStream_Vivid", "TestSetControl_Vivid"} {
		if !bytes.Contains(res.Output, []byte("--- PASS: "+name+" ")) {
			t.Errorf("guest test %s did not run and pass", name)
		}
	}
}

// BenchmarkCamera_Vivid boots one VM and measures, on the same vivid
// device and settings, kioskd's MJPEG preview next to ustreamer's (frames
// delivered per second and server CPU time per frame, as ratios), and the
// frame hub under a slow consumer. One VM run whatever b.N; the numbers
// come from the guest (guestcam TestBench_PreviewAndHub).
func BenchmarkCamera_Vivid(b *testing.B) {
	Require(b)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	o, test := cameraGuest(ctx, b)
	o.Env = append(o.Env, "IDKIOSK_VM_BENCH=1")
	RunTest(ctx, b, o, test, "-test.v", "-test.run", "^TestBench_", "-test.timeout", "6m")
	raw, err := os.ReadFile(filepath.Join(o.RunDir, "bench.json"))
	if err != nil {
		b.Fatal(err)
	}
	var r struct {
		Kioskd, Ustreamer struct {
			FPS           float64 `json:"fps"`
			CPUMsPerFrame float64 `json:"cpu_ms_per_frame"`
		}
		FPSRatio float64 `json:"fps_ratio"`
		CPURatio float64 `json:"cpu_ratio"`
		Hub      struct {
			FastSkipped float64 `json:"fast_skipped"`
			SlowSkipped float64 `json:"slow_skipped"`
		} `json:"hub"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s", raw)
	b.ReportMetric(r.Kioskd.FPS, "kioskd-fps")
	b.ReportMetric(r.Ustreamer.FPS, "ustreamer-fps")
	b.ReportMetric(r.FPSRatio, "fps-ratio")
	b.ReportMetric(r.Kioskd.CPUMsPerFrame, "kioskd-cpu-ms/frame")
	b.ReportMetric(r.Ustreamer.CPUMsPerFrame, "ustreamer-cpu-ms/frame")
	b.ReportMetric(r.CPURatio, "cpu-ratio")
	b.ReportMetric(r.Hub.FastSkipped, "hub-fast-lost")
	b.ReportMetric(r.Hub.SlowSkipped, "hub-slow-skipped")
}
