//go:build cgo

package encode

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/simcam"
)

// benchFrames are consecutive frames of the simulated camera's face scene:
// a still picture with sensor noise, sway and flicker, as the live preview
// sees most of the time.
func benchFrames(b *testing.B, w, h, n int) []*capture.Frame {
	b.Helper()
	cam := simcam.New(simcam.Options{Width: w, Height: h, FPS: 1000})
	cam.SetScene(simcam.SceneFace)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var frames []*capture.Frame
	cam.Stream(ctx, func(f *capture.Frame) {
		if len(frames) < n {
			frames = append(frames, f)
		}
		if len(frames) == n {
			cancel()
		}
	})
	return frames
}

// benchSettings are the kiosk's defaults: 15 fps, 1 Mbit/s, cpu-used 16,
// one thread, a keyframe every 2 s.
var benchSettings = Settings{FPS: 15, BitrateKbps: 1000}

// BenchmarkVP8 is the CPU time of one frame of the live preview,
// conversion from the camera's full-range YCbCr included, next to Debian's
// vpxenc with the same realtime settings on the same 150 frames (10 s at
// 15 fps, five periodic keyframes). CPU time, not wall time, because the
// machine is shared: ours is this thread's (the cgo call runs on it),
// vpxenc's is its process's for 150 frames less its time for 1, which
// leaves the encoding plus reading the frames from the page cache. Five
// rounds in turns; the best of each is compared.
func BenchmarkVP8(b *testing.B) {
	const n, rounds = 150, 5
	for _, size := range []struct{ w, h int }{{640, 480}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(b *testing.B) {
			frames := benchFrames(b, size.w, size.h, 30)
			yuv := writeI420(b, frames, size.w, size.h, n)
			for range b.N {
				ours, theirs := math.Inf(1), math.Inf(1)
				for range rounds {
					ours = min(ours, encodeCPUPerFrame(b, frames, size.w, size.h, n))
					if t, ok := vpxencCPUPerFrame(b, yuv, size.w, size.h, n); ok {
						theirs = min(theirs, t)
					}
				}
				b.ReportMetric(ours, "cpu-ms/frame")
				if !math.IsInf(theirs, 1) {
					b.ReportMetric(theirs, "vpxenc-cpu-ms/frame")
					b.ReportMetric(ours/theirs, "x-vpxenc")
				}
			}
		})
	}
}

// encodeCPUPerFrame encodes n frames with a new encoder, as vpxenc does,
// and returns the thread's CPU milliseconds per frame.
func encodeCPUPerFrame(b *testing.B, frames []*capture.Frame, w, h, n int) float64 {
	b.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	v, err := NewVP8(w, h, benchSettings)
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	t0 := time.Now()
	start := threadCPU(b)
	for i := range n {
		if _, err := v.Encode(Input{Frame: frames[i%len(frames)], Time: t0.Add(time.Duration(i) * time.Second / 15)}); err != nil {
			b.Fatal(err)
		}
	}
	return float64((threadCPU(b) - start).Microseconds()) / 1000 / float64(n)
}

// threadCPU is the calling OS thread's user+system time.
func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rusageThread is RUSAGE_THREAD (Linux).
const rusageThread = 1

// BenchmarkVP8_ForcedKeyframe is what a new viewer costs the encoder: a
// keyframe forced mid-stream (CPU time, as BenchmarkVP8).
func BenchmarkVP8_ForcedKeyframe(b *testing.B) {
	for _, size := range []struct{ w, h int }{{640, 480}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(b *testing.B) {
			frames := benchFrames(b, size.w, size.h, 10)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			v, err := NewVP8(size.w, size.h, benchSettings)
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			t0 := time.Now()
			start := threadCPU(b)
			for i := range b.N {
				in := Input{Frame: frames[i%len(frames)], Time: t0.Add(time.Duration(i) * time.Second / 15), Keyframe: true}
				if _, err := v.Encode(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((threadCPU(b)-start).Microseconds())/1000/float64(b.N), "cpu-ms/frame")
		})
	}
}

// writeI420 writes n frames as this package hands them to libvpx
// (studio-range I420), for vpxenc.
func writeI420(b *testing.B, frames []*capture.Frame, w, h, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "frames.yuv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := bufio.NewWriter(f)
	var p planar
	p.reset(w, h)
	for i := range n {
		img, err := frames[i%len(frames)].Image()
		if err != nil {
			b.Fatal(err)
		}
		if err := p.fill(img); err != nil {
			b.Fatal(err)
		}
		out.Write(p.y)
		out.Write(p.cb)
		out.Write(p.cr)
	}
	if err := out.Flush(); err != nil {
		b.Fatal(err)
	}
	return path
}

// vpxencCPUPerFrame runs vpxenc on the I420 file with the same settings
// as NewVP8, for n frames and for 1, and returns the difference of its CPU
// time per frame.
func vpxencCPUPerFrame(b *testing.B, path string, w, h, n int) (float64, bool) {
	b.Helper()
	if _, err := exec.LookPath("vpxenc"); err != nil {
		b.Log("vpxenc not installed (Debian: vpx-tools); no comparison")
		return 0, false
	}
	all, one := vpxencCPU(b, path, w, h, n), vpxencCPU(b, path, w, h, 1)
	return float64((all - one).Microseconds()) / 1000 / float64(n-1), true
}

// vpxencCPU is vpxenc's CPU time for the first n frames of path.
func vpxencCPU(b *testing.B, path string, w, h, n int) time.Duration {
	b.Helper()
	s := benchSettings.withDefaults()
	args := []string{"--codec=vp8", "--rt", "--cpu-used=" + strconv.Itoa(s.CPUUsed),
		"--end-usage=cbr", "--target-bitrate=" + strconv.Itoa(s.BitrateKbps),
		"--min-q=2", "--max-q=56", "--undershoot-pct=100", "--overshoot-pct=15",
		"--buf-initial-sz=500", "--buf-optimal-sz=600", "--buf-sz=1000", "--drop-frame=0",
		"--lag-in-frames=0", "--error-resilient=1", "--kf-min-dist=0",
		"--kf-max-dist=" + strconv.Itoa(s.keyframeDistance()), "--threads=" + strconv.Itoa(s.Threads),
		"--noise-sensitivity=0", "--timebase=1/1000", "--fps=15/1",
		"--limit=" + strconv.Itoa(n),
		"-w", strconv.Itoa(w), "-h", strconv.Itoa(h), "--i420", "-o", os.DevNull, path}
	cmd := exec.Command("vpxenc", args...)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("vpxenc: %v\n%s", err, msg)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// BenchmarkConvert is the part of a frame's cost spent in Go before
// libvpx: full range to studio range (the Y, Cb and Cr lookups).
func BenchmarkConvert(b *testing.B) {
	for _, size := range []struct{ w, h int }{{640, 480}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(b *testing.B) {
			img, err := benchFrames(b, size.w, size.h, 1)[0].Image()
			if err != nil {
				b.Fatal(err)
			}
			var p planar
			p.reset(size.w, size.h)
			b.ResetTimer()
			for range b.N {
				if err := p.fill(img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
