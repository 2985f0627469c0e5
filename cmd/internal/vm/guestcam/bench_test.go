package guestcam

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/v4l2"
)

// Bench is what TestBench_PreviewAndHub measures, written to
// $IDKIOSK_VM_OUT/bench.json for the host's BenchmarkCamera_Vivid.
type Bench struct {
	Settings  string  `json:"settings"`
	Kioskd    Stream  `json:"kioskd"`
	Ustreamer Stream  `json:"ustreamer"`
	FPSRatio  float64 `json:"fps_ratio"` // kioskd / ustreamer
	CPURatio  float64 `json:"cpu_ratio"` // kioskd / ustreamer, per frame delivered
	Hub       Hub     `json:"hub"`
}

// Stream is one MJPEG server as a viewer sees it, summed over the rounds.
type Stream struct {
	Frames        int       `json:"frames"`
	Seconds       float64   `json:"seconds"`
	FPS           float64   `json:"fps"`
	CPUMsPerFrame float64   `json:"cpu_ms_per_frame"` // the server process's user+system time
	RoundsFPS     []float64 `json:"rounds_fps"`

	cpu time.Duration
}

func (s *Stream) add(r round) {
	s.Frames += r.frames
	s.Seconds += r.elapsed.Seconds()
	s.cpu += r.cpu
	s.RoundsFPS = append(s.RoundsFPS, round2(float64(r.frames)/r.elapsed.Seconds()))
}

func (s *Stream) finish() {
	s.FPS = round2(float64(s.Frames) / s.Seconds)
	s.CPUMsPerFrame = round2(float64(s.cpu) / float64(time.Millisecond) / float64(s.Frames))
	s.Seconds = round2(s.Seconds)
}

// round is one measurement window.
type round struct {
	frames  int
	elapsed time.Duration
	cpu     time.Duration
}

// Hub is the frame hub with one fast and one slow consumer.
type Hub struct {
	Seconds     float64 `json:"seconds"`
	Published   uint64  `json:"published"`
	FastSeen    uint64  `json:"fast_seen"`
	FastSkipped uint64  `json:"fast_skipped"` // frames the fast consumer never saw
	SlowSeen    uint64  `json:"slow_seen"`
	SlowSkipped uint64  `json:"slow_skipped"`
	SlowDelay   string  `json:"slow_delay"`
}

const (
	benchRounds = 5
	benchWarmup = 2 * time.Second
	benchWindow = 6 * time.Second
	hubWindow   = 15 * time.Second
)

// startUstreamer runs ustreamer on vivid with kioskd's settings, as the
// kiosk's user, and waits until it serves.
func startUstreamer(t *testing.T) *exec.Cmd {
	t.Helper()
	us := exec.Command("ustreamer", "--device", video0, "--resolution", "640x480", "--format", "YUYV",
		"--desired-fps", "15", "--quality", "85", "--encoder", "CPU", "--host", "127.0.0.1", "--port", "8090")
	us.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: kioskUID, Gid: kioskUID, Groups: []uint32{uint32(videoGID(t))}}}
	var log syncBuffer
	us.Stdout, us.Stderr = &log, &log
	if err := us.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { us.Process.Kill(); us.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:8090/state")
		if err == nil {
			resp.Body.Close()
			return us
		}
		if time.Now().After(deadline) {
			t.Fatalf("ustreamer did not start: %s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBench_PreviewAndHub measures, in one VM run on the same vivid device
// with the same settings (640x480 YUYV at 15 fps, JPEG quality 85), the
// MJPEG preview of kioskd and of ustreamer (Debian's package, libjpeg-turbo
// encoder), then the hub under a slow consumer. It only measures; the host
// reports the numbers. IDKIOSK_VM_BENCH=1 turns it on.
func TestBench_PreviewAndHub(t *testing.T) {
	guest(t)
	if os.Getenv("IDKIOSK_VM_BENCH") != "1" {
		t.Skip("IDKIOSK_VM_BENCH=1 runs the benchmark")
	}
	setNode(t, 0o660)
	var res Bench
	res.Settings = "vivid 640x480 YUYV 15 fps, JPEG quality 85, one viewer, 2 vCPU TCG"

	// Rounds alternate between the two, so a change in the host's load
	// (these machines are shared) falls on both alike.
	s := prepareKiosk(t, video0, map[string]string{"camera.jpeg_quality": "85", "camera.preview_fps": "15"})
	for range benchRounds {
		k := runKiosk(t, s)
		k.waitCamera(t, "ok", 30*time.Second)
		res.Kioskd.add(measure(t, k.base+"/preview.mjpeg", k.pid()))
		k.stop()

		us := startUstreamer(t)
		res.Ustreamer.add(measure(t, "http://127.0.0.1:8090/stream", us.Process.Pid))
		us.Process.Kill()
		us.Wait()
	}
	res.Kioskd.finish()
	res.Ustreamer.finish()

	res.FPSRatio = res.Kioskd.FPS / res.Ustreamer.FPS
	res.CPURatio = res.Kioskd.CPUMsPerFrame / res.Ustreamer.CPUMsPerFrame
	res.Hub = hubUnderSlowConsumer(t)

	b, _ := json.MarshalIndent(res, "", "  ")
	t.Logf("%s", b)
	if err := os.WriteFile(filepath.Join(os.Getenv(envOut), "bench.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// measure reads an MJPEG stream for benchWarmup, then counts the parts of
// benchWindow and the CPU time the server process spent meanwhile.
func measure(t *testing.T, url string, pid int) round {
	t.Helper()
	p := openPreview(t, url)
	defer p.close()
	for end := time.Now().Add(benchWarmup); time.Now().Before(end); {
		p.next(t)
	}
	cpu0, err := procCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n := 0
	for time.Since(start) < benchWindow {
		p.next(t)
		n++
	}
	elapsed := time.Since(start)
	cpu1, _ := procCPU(pid)
	return round{frames: n, elapsed: elapsed, cpu: cpu1 - cpu0}
}

// hubUnderSlowConsumer streams vivid through a Runner into a Hub with two
// consumers: one that takes every frame at once, and one that needs 200 ms
// per frame (a viewer on a poor link). The slow one skips frames by design;
// the question is whether the fast one, or the camera, loses any.
func hubUnderSlowConsumer(t *testing.T) Hub {
	const slow = 200 * time.Millisecond
	hub := capture.NewHub()
	r := &capture.Runner{Camera: v4l2.New(v4l2.Options{Device: video0, Width: 640, Height: 480, FPS: 15}), Hub: hub}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 3)
	go func() { r.Run(ctx); done <- struct{}{} }()
	consume := func(delay time.Duration, seen, skipped *uint64) {
		defer func() { done <- struct{}{} }()
		var last uint64
		for {
			f, err := hub.Next(ctx, last)
			if err != nil {
				return
			}
			if last != 0 {
				*skipped += f.Seq - last - 1
			}
			last = f.Seq
			*seen++
			if delay > 0 {
				f.JPEG() // what a preview viewer costs
				time.Sleep(delay)
			}
		}
	}
	// Wait for the first frame, then count from there.
	if _, err := hub.Next(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var h Hub
	h.SlowDelay = slow.String()
	start := hub.Stats().Published
	t0 := time.Now()
	go consume(0, &h.FastSeen, &h.FastSkipped)
	go consume(slow, &h.SlowSeen, &h.SlowSkipped)
	time.Sleep(hubWindow)
	cancel()
	for range 3 {
		<-done
	}
	h.Seconds = round2(time.Since(t0).Seconds())
	h.Published = hub.Stats().Published - start
	return h
}

func round2(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
	return f
}
