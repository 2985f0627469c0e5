package diag

import (
	"image"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
)

// picture is a 320x240 frame: a gradient from brightness level rising by
// slope every 16 columns, plus noise of amplitude noise (a real sensor has
// 1-3 levels).
func picture(level, slope, noise int, rng *rand.Rand) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
	for y := range 240 {
		for x := range 320 {
			v := level + slope*x/16
			if noise > 0 {
				v += rng.IntN(2*noise+1) - noise
			}
			img.Y[y*img.YStride+x] = uint8(max(0, min(255, v)))
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return img
}

type fakeRunner struct {
	mu    sync.Mutex
	state capture.State
	err   string
}

func (r *fakeRunner) State() capture.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

func (r *fakeRunner) LastError() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *fakeRunner) set(s capture.State, err string) {
	r.mu.Lock()
	r.state, r.err = s, err
	r.mu.Unlock()
}

// rig is a monitor on a fake runner and a real hub, with a clock the test
// moves; each tick publishes one frame and runs one step.
type rig struct {
	t      *testing.T
	runner *fakeRunner
	hub    *capture.Hub
	mon    *Monitor
	now    time.Time
	states []capture.State
}

func newRig(t *testing.T, device string, sys system) *rig {
	r := &rig{t: t, runner: &fakeRunner{state: capture.StateStreaming}, hub: capture.NewHub(), now: time.Unix(1e9, 0)}
	r.mon = New(Options{
		Runner: r.runner, Hub: r.hub, Device: device,
		Format:   func() string { return "YUYV 320x240 @ 15 fps" },
		OnChange: func(s capture.State) { r.states = append(r.states, s) },
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	r.mon.sys = sys
	r.mon.now = func() time.Time { return r.now }
	return r
}

// run publishes frame() and steps the monitor every 500 ms for d.
func (r *rig) run(d time.Duration, frame func() *image.YCbCr) {
	for end := r.now.Add(d); r.now.Before(end); r.now = r.now.Add(DefaultSampleEvery) {
		if frame != nil {
			r.hub.Publish(capture.NewImageFrame(frame(), r.now))
		}
		r.mon.step(false)
	}
}

func (r *rig) check(id string) Result {
	r.t.Helper()
	c, ok := r.mon.Report().Check(id)
	if !ok {
		r.t.Fatalf("report has no %s check", id)
	}
	return c
}

func TestMonitor_BlackAndFrozen(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	live := func() *image.YCbCr { return picture(110, 1, 2, rng) } // a still scene, real sensor noise
	black := func() *image.YCbCr { return picture(16, 0, 0, rng) } // lens cap, vivid's 100% black
	still := picture(110, 1, 0, rng)                               // a frozen driver repeats one buffer
	dark := func() *image.YCbCr { return picture(40, 1, 2, rng) }  // a dim room: not black
	frozen := func() *image.YCbCr { return still }

	r := newRig(t, "", system{})
	r.mon.step(true)
	r.run(10*time.Second, live)
	if got := r.mon.State(); got != capture.StateStreaming {
		t.Fatalf("a live camera watching a still scene: state %v, want ok (noise must keep it from looking frozen)", got)
	}
	if c := r.check(CheckFrozen); c.Status != OK {
		t.Errorf("frozen check on a live camera = %+v, want ok", c)
	}

	r.run(DefaultBlackAfter-time.Second, black)
	if got := r.mon.State(); got != capture.StateStreaming {
		t.Errorf("state after 1 s of black = %v, want still ok (auto-exposure may be settling)", got)
	}
	r.run(2*time.Second, black)
	if got := r.mon.State(); got != capture.StateBlack {
		t.Fatalf("state after 3 s of black = %v, want black", got)
	}
	c := r.check(CheckBlack)
	if c.Status != Fail || c.Key != "camera.black.fail" || c.Params["luma"] != "16" || c.Params["dark"] != "100" {
		t.Errorf("black check = %+v, want fail with luma 16, 100%% dark", c)
	}

	// A covered camera that prints a timestamp: the white text lifts the
	// mean above any safe threshold, but the picture is still black.
	r.run(time.Second, live)
	r.run(3*time.Second, func() *image.YCbCr {
		img := picture(16, 0, 0, rng)
		for y := 8; y < 24; y++ {
			for x := 8; x < 200; x++ {
				img.Y[y*img.YStride+x] = 235
			}
		}
		return img
	})
	if got := r.mon.State(); got != capture.StateBlack {
		t.Errorf("covered camera with a timestamp overlay: state %v, want black", got)
	}

	r.run(10*time.Second, dark)
	if got := r.mon.State(); got != capture.StateStreaming {
		t.Errorf("a dim room: state %v, want ok", got)
	}

	r.run(DefaultFrozenAfter-time.Second, frozen)
	if got := r.mon.State(); got != capture.StateStreaming {
		t.Errorf("state after 4 s of identical frames = %v, want still ok", got)
	}
	r.run(2*time.Second, frozen)
	if got := r.mon.State(); got != capture.StateFrozen {
		t.Fatalf("state after 6 s of identical frames = %v, want frozen", got)
	}
	if c := r.check(CheckFrozen); c.Status != Fail || c.Params["seconds"] == "" {
		t.Errorf("frozen check = %+v, want fail with seconds", c)
	}

	r.run(time.Second, live)
	if got := r.mon.State(); got != capture.StateStreaming {
		t.Errorf("state once the picture moves again = %v, want ok", got)
	}
	want := []capture.State{capture.StateStreaming, capture.StateBlack, capture.StateStreaming, capture.StateBlack, capture.StateStreaming, capture.StateFrozen, capture.StateStreaming}
	if len(r.states) != len(want) {
		t.Fatalf("OnChange saw %v, want %v", r.states, want)
	}
	for i := range want {
		if r.states[i] != want[i] {
			t.Errorf("OnChange %d = %v, want %v", i, r.states[i], want[i])
		}
	}
}

// No new frame is a stall for the Runner, not a frozen picture; and the
// frame checks do not apply while the camera is not streaming.
func TestMonitor_NoFramesIsNotFrozen(t *testing.T) {
	r := newRig(t, "", system{})
	rng := rand.New(rand.NewPCG(3, 4))
	r.mon.step(true)
	r.run(time.Second, func() *image.YCbCr { return picture(100, 1, 2, rng) })
	r.run(20*time.Second, nil)
	if got := r.mon.State(); got != capture.StateStreaming {
		t.Errorf("state with the hub quiet = %v, want ok (stalls are the Runner's)", got)
	}
	r.runner.set(capture.StateDisconnected, "stream: camera not found")
	r.run(time.Second, nil)
	if got := r.mon.State(); got != capture.StateDisconnected {
		t.Errorf("state = %v, want disconnected", got)
	}
	for _, id := range []string{CheckBlack, CheckFrozen} {
		if c := r.check(id); c.Status != Skip {
			t.Errorf("%s while disconnected = %+v, want skip", id, c)
		}
	}
	c := r.check(CheckStreaming)
	if c.Status != Fail || c.Params["state"] != "disconnected" || c.Params["error"] != "stream: camera not found" {
		t.Errorf("streaming check = %+v, want fail naming the state and the error", c)
	}
}

// fakeSystem is a /dev, /sys and /proc tree in a temp dir. The "camera" is
// /dev/null's device number, so stat of a /proc fd link to it matches.
type fakeSystem struct {
	root string
	sys  system
}

func newFakeSystem(t *testing.T) *fakeSystem {
	root := t.TempDir()
	f := &fakeSystem{root: root}
	for _, d := range []string{"dev/v4l/by-id", "sys", "proc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.sys = system{
		proc: filepath.Join(root, "proc"), sysV4L: filepath.Join(root, "sys"), dev: filepath.Join(root, "dev"),
		byID: filepath.Join(root, "dev/v4l/by-id"), self: 1,
		access:  func(string, uint32) error { return nil },
		uid:     1000,
		gids:    func() []int { return []int{1000} },
		userOf:  func(uid int) string { return map[int]string{0: "root", 1000: "kiosk"}[uid] },
		groupOf: func(gid int) string { return map[int]string{0: "root", 44: "video"}[gid] },
	}
	return f
}

// camera adds /dev/videoN (a symlink to /dev/null: a real char device) with
// its sysfs entry, and a by-id link if byID is set.
func (f *fakeSystem) camera(t *testing.T, n, index int, name, byID string) string {
	node := filepath.Join(f.root, "dev", "video"+strconv.Itoa(n))
	if err := os.Symlink("/dev/null", node); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(f.root, "sys", "video"+strconv.Itoa(n))
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "name"), []byte(name+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "index"), []byte(strconv.Itoa(index)+"\n"), 0o644)
	if byID != "" {
		if err := os.Symlink(node, filepath.Join(f.root, "dev/v4l/by-id", byID)); err != nil {
			t.Fatal(err)
		}
	}
	return node
}

// process adds /proc/<pid> with comm and fds linking to targets.
func (f *fakeSystem) process(t *testing.T, pid int, comm string, targets ...string) {
	dir := filepath.Join(f.root, "proc", strconv.Itoa(pid))
	os.MkdirAll(filepath.Join(dir, "fd"), 0o755)
	os.WriteFile(filepath.Join(dir, "comm"), []byte(comm+"\n"), 0o644)
	for i, tg := range targets {
		if err := os.Symlink(tg, filepath.Join(dir, "fd", strconv.Itoa(i+3))); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeviceChecks(t *testing.T) {
	f := newFakeSystem(t)
	byID := "usb-Logitech_C920_ABC123-video-index0"
	f.camera(t, 0, 0, "HD Pro Webcam C920", byID)
	f.camera(t, 1, 1, "HD Pro Webcam C920", "") // metadata node: not a camera
	configured := filepath.Join(f.root, "dev/v4l/by-id", byID)

	t.Run("all well", func(t *testing.T) {
		rs := f.sys.deviceChecks(configured, capture.StateStreaming)
		for _, r := range rs {
			if r.Status != OK {
				t.Errorf("%s = %+v, want ok", r.ID, r)
			}
		}
		if len(rs) != 4 {
			t.Errorf("got %d device checks, want present, permission, busy, wrong", len(rs))
		}
	})

	t.Run("busy names the holder", func(t *testing.T) {
		f.process(t, 1, "kioskd", "/dev/null")                 // ourselves: never the culprit
		f.process(t, 4242, "cheese", "/dev/zero", "/dev/null") // holds the camera
		f.process(t, 4300, "bash", "/dev/zero")                // other device
		rs := f.sys.deviceChecks(configured, capture.StateBusy)
		c, _ := find(rs, CheckBusy)
		if c.Status != Fail || c.Key != "camera.busy.fail" || c.Params["process"] != "cheese" || c.Params["pid"] != "4242" {
			t.Errorf("busy check = %+v, want fail naming cheese (pid 4242)", c)
		}
		// Only when the Runner says busy: V4L2 lets several programs
		// open a camera, and a control tool holding it is harmless.
		rs = f.sys.deviceChecks(configured, capture.StateStreaming)
		if c, _ := find(rs, CheckBusy); c.Status != OK {
			t.Errorf("busy check while streaming = %+v, want ok", c)
		}
	})

	t.Run("busy, holder invisible", func(t *testing.T) {
		sys := f.sys
		sys.proc = t.TempDir()
		c, _ := find(sys.deviceChecks(configured, capture.StateBusy), CheckBusy)
		if c.Status != Fail || c.Key != "camera.busy.unknown" {
			t.Errorf("busy check = %+v, want fail/unknown", c)
		}
	})

	st, err := os.Stat("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	nullGid := int(st.Sys().(*syscall.Stat_t).Gid)
	denied := func(string, uint32) error { return syscall.EACCES }
	t.Run("permission: not in the group", func(t *testing.T) {
		sys := f.sys
		sys.access = denied
		sys.groupOf = func(int) string { return "video" }
		c, _ := find(sys.deviceChecks(configured, capture.StateNoPermission), CheckPermission)
		// /dev/null is 0666: the group may read and write, we are just
		// not in it.
		if c.Status != Fail || c.Key != "camera.permission.join_group" || c.Params["group"] != "video" || c.Params["user"] != "kiosk" {
			t.Errorf("permission check = %+v, want fail/join_group naming video and kiosk", c)
		}
		sys.gids = func() []int { return []int{nullGid} }
		c, _ = find(sys.deviceChecks(configured, capture.StateNoPermission), CheckPermission)
		if c.Key != "camera.permission.mode" {
			t.Errorf("in the group but still denied: key %q, want camera.permission.mode (the node's mode is wrong)", c.Key)
		}
	})

	t.Run("wrong camera", func(t *testing.T) {
		missing := filepath.Join(f.root, "dev/v4l/by-id/usb-Other_Cam-video-index0")
		rs := f.sys.deviceChecks(missing, capture.StateDisconnected)
		p, _ := find(rs, CheckPresent)
		w, _ := find(rs, CheckWrong)
		if p.Status != Fail || w.Status != Fail || w.Key != "camera.wrong.fail" {
			t.Fatalf("present %+v, wrong %+v; want both to fail", p, w)
		}
		want := "HD Pro Webcam C920 (" + configured + ")"
		if w.Params["found"] != want {
			t.Errorf("wrong check found %q, want %q (the metadata node left out)", w.Params["found"], want)
		}
	})

	t.Run("no camera at all", func(t *testing.T) {
		sys := f.sys
		sys.sysV4L = t.TempDir()
		rs := sys.deviceChecks("/dev/video7", capture.StateDisconnected)
		if w, _ := find(rs, CheckWrong); w.Status != Skip {
			t.Errorf("wrong check with no camera = %+v, want skip", w)
		}
	})
}

func TestMonitor_WrongCamera(t *testing.T) {
	f := newFakeSystem(t)
	f.camera(t, 0, 0, "vivid", "")
	r := newRig(t, filepath.Join(f.root, "dev/v4l/by-id/usb-Expected_Cam-video-index0"), f.sys)
	r.runner.set(capture.StateDisconnected, "open: camera not found")
	r.mon.step(true)
	if got := r.mon.State(); got != capture.StateWrongCamera {
		t.Fatalf("configured camera missing, vivid present: state %v, want wrong_camera", got)
	}
	rep := r.mon.Report()
	if len(rep.Cameras) != 1 || rep.Cameras[0].Name != "vivid" {
		t.Errorf("report cameras = %+v, want vivid", rep.Cameras)
	}
	if rep.LastError != "open: camera not found" || rep.Stream.Format == "" {
		t.Errorf("report last error %q format %q", rep.LastError, rep.Stream.Format)
	}
}

func TestMessageKeys_CoverEveryResult(t *testing.T) {
	keys := map[string]bool{}
	for _, k := range MessageKeys() {
		if keys[k] {
			t.Errorf("key %q listed twice", k)
		}
		keys[k] = true
	}
	f := newFakeSystem(t)
	f.camera(t, 0, 0, "vivid", "")
	var seen []Result
	for _, s := range capture.States() {
		seen = append(seen, f.sys.deviceChecks(filepath.Join(f.root, "dev/video0"), s)...)
		seen = append(seen, f.sys.deviceChecks("/nonexistent", s)...)
	}
	r := newRig(t, "", system{})
	for _, s := range []capture.State{capture.StateStarting, capture.StateStreaming, capture.StateBusy} {
		r.runner.set(s, "x")
		r.mon.step(false)
		seen = append(seen, r.mon.Report().Checks...)
	}
	for _, c := range seen {
		if !keys[c.Key] {
			t.Errorf("check %s produced key %q, which MessageKeys does not list", c.ID, c.Key)
		}
	}
	for _, s := range capture.States() {
		if !keys[StateKey(s)] {
			t.Errorf("no state key for %v", s)
		}
	}
}

// The black check's boundary: how much of the picture must be near black.
func TestFrameWatch_BlackShare(t *testing.T) {
	tests := []struct {
		name      string
		darkRows  int // of 240: rows at luma 16, the rest at 120
		wantBlack bool
	}{
		{"lit scene", 0, false},
		{"a person before a dark curtain", 100, false},
		{"dim booth, most of it dark", 180, false},
		{"covered, light leaking at one edge", 220, true},
		{"lens cap", 240, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := picture(120, 0, 0, nil)
			for y := range tt.darkRows {
				for x := range 320 {
					img.Y[y*img.YStride+x] = 16
				}
			}
			w := frameWatch{blackLuma: DefaultBlackLuma}
			now := time.Unix(0, 0)
			w.add(img, now)
			if got := w.blackFor(now.Add(time.Hour)) > 0; got != tt.wantBlack {
				t.Errorf("%d%% near black: black = %v, want %v", 100*tt.darkRows/240, got, tt.wantBlack)
			}
		})
	}
}
