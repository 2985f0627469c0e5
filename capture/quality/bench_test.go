package quality

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"syscall"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/simcam"
)

// cpuTime is the CPU time the process has used. The dev machine is shared:
// wall time per op grows with everyone else's load, CPU time much less, so
// the benchmarks report both (run with -cpu 1: one core).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs f b.N times and reports its CPU time per op beside ns/op.
func loop(b *testing.B, f func()) {
	start := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

var benchCases = []struct {
	scene simcam.Scene
	kind  Kind
}{
	{simcam.SceneFace, KindFace},
	{simcam.SceneFaceWithID, KindFaceWithID},
	{simcam.SceneIDFront, KindIDPhotoSide},
	{simcam.SceneIDBack, KindIDNameSide},
}

// BenchmarkAssess times every measure on one frame, per kind, at the
// 640x480 preview size and at 1280x720: what live guidance costs per
// preview frame on a camera that delivers raw frames (YUYV, the
// simulator).
func BenchmarkAssess(b *testing.B) {
	a := NewAnalyzer(detector(b), Default())
	for _, size := range [][2]int{{640, 480}, {1280, 720}} {
		for _, c := range benchCases {
			img := simFrame(b, size[0], size[1], c.scene)
			b.Run(fmt.Sprintf("%dx%d/%s", size[0], size[1], c.kind), func(b *testing.B) {
				loop(b, func() { a.Assess(img, Target{Kind: c.kind, Cradle: true}) })
			})
		}
	}
}

// BenchmarkAssessJPEG is the same for a camera that delivers MJPEG: each
// frame is decoded first (capture.Frame.Image; the preview itself passes
// the JPEG through, so the guidance pays the decode).
func BenchmarkAssessJPEG(b *testing.B) {
	a := NewAnalyzer(detector(b), Default())
	for _, size := range [][2]int{{640, 480}, {1280, 720}} {
		for _, c := range benchCases {
			data := jpegOf(b, simFrame(b, size[0], size[1], c.scene))
			b.Run(fmt.Sprintf("%dx%d/%s", size[0], size[1], c.kind), func(b *testing.B) {
				loop(b, func() {
					img, err := jpeg.Decode(bytes.NewReader(data))
					if err != nil {
						b.Fatal(err)
					}
					a.Assess(img, Target{Kind: c.kind, Cradle: true})
				})
			})
		}
	}
}

func jpegOf(b *testing.B, img image.Image) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
