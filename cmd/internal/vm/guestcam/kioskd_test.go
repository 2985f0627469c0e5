package guestcam

import (
	"bytes"
	"image"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/diag"
	"github.com/idkiosk/idkiosk/capture/v4l2"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
)

// vivid's platform device, for unplugging it.
const (
	vividUnbind = "/sys/bus/platform/drivers/vivid/unbind"
	vividBind   = "/sys/bus/platform/drivers/vivid/bind"
	vividDevice = "vivid.0"
)

// replugWithin is the promise: the camera is back this long after
// it reappears, without restarting kioskd.
const replugWithin = 3 * time.Second

// One kioskd, unprivileged, taken through every way the camera fails and
// back, in the order a bad day at a test centre might bring them. Each step
// checks what staff see (/healthz, /api/diagnostics rendered through the
// catalogue), what the learner's page is told, and the preview.
func TestKioskd_CameraFailuresAndRecovery(t *testing.T) {
	guest(t)
	setNode(t, 0o660)
	placeholder, err := capture.PlaceholderJPEG(640, 480)
	if err != nil {
		t.Fatal(err)
	}

	// Another program streams from the camera before the kiosk starts.
	holder := startHolder(t)
	k := startKiosk(t, video0, nil)
	kioskPID := k.pid()

	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow() // later steps build on this one
		}
	}

	step("busy names the program holding the camera", func(t *testing.T) {
		k.waitCamera(t, "busy", 30*time.Second)
		c := k.diagnostics(t).check(t, diag.CheckBusy)
		if c.Status != diag.Fail || c.Params["process"] != "v4l2-ctl" || c.Params["pid"] != strconv.Itoa(holder.Process.Pid) {
			t.Errorf("busy check = %+v, want fail naming v4l2-ctl pid %d", c, holder.Process.Pid)
		}
		staffRead(t, c, "v4l2-ctl")
		if got := k.pageCameraState(t); got != "busy" {
			t.Errorf("page camera_state = %q, want busy", got)
		}
		if h := k.health(t); h.Status != "degraded" {
			t.Errorf("/healthz status = %q, want degraded while the camera is busy", h.Status)
		}
		p := openPreview(t, k.base+"/preview.mjpeg")
		if got := p.next(t); !bytes.Equal(got, placeholder) {
			t.Errorf("preview while busy: %d bytes, want the camera-off placeholder", len(got))
		}
	})

	step("no permission names the group", func(t *testing.T) {
		setNode(t, 0)
		k.waitCamera(t, "no_permission", 10*time.Second)
		c := k.diagnostics(t).check(t, diag.CheckPermission)
		if c.Status != diag.Fail || c.Key != "camera.permission.mode" || c.Params["group"] != "video" ||
			c.Params["user"] != "nobody" || c.Params["mode"] != "0000" {
			t.Errorf("permission check = %+v, want fail/mode naming group video, user nobody, mode 0000", c)
		}
		staffRead(t, c, "group video")
		if got := k.pageCameraState(t); got != "no_permission" {
			t.Errorf("page camera_state = %q, want no_permission", got)
		}
	})

	step("recovers when the program exits and the mode is fixed", func(t *testing.T) {
		holder.Process.Kill()
		holder.Wait()
		setNode(t, 0o660)
		k.waitCamera(t, "ok", 10*time.Second)
		if k.pid() != kioskPID {
			t.Errorf("kioskd was restarted")
		}
	})

	step("streams the negotiated format into the preview", func(t *testing.T) {
		d := k.diagnostics(t)
		if d.Driver != "v4l2" || d.Stream.Format != "YUYV 640x480 @ 15 fps" {
			t.Errorf("diagnostics driver %q format %q, want v4l2 and YUYV 640x480 @ 15 fps (vivid offers no MJPEG)", d.Driver, d.Stream.Format)
		}
		const n = 10
		k.waitFor(t, strconv.Itoa(n)+" more frames", 20*time.Second, func() bool { return k.diagnostics(t).Stream.Frames >= d.Stream.Frames+n })
		if c := k.diagnostics(t).check(t, diag.CheckStreaming); c.Status != diag.OK {
			t.Errorf("streaming check = %+v, want ok", c)
		}
		if got := k.pageCameraState(t); got != "ok" {
			t.Errorf("page camera_state = %q, want ok", got)
		}
		img := livePart(t, openPreview(t, k.base+"/preview.mjpeg"), placeholder)
		if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 480 {
			t.Errorf("preview is %dx%d, want 640x480", b.Dx(), b.Dy())
		}
		// vivid's 75% colour bars: white on the left, black on the right.
		if l, r := columnLuma(img, 0, 60), columnLuma(img, 580, 640); l < r+80 {
			t.Errorf("preview left/right luma %.0f/%.0f, want vivid's colour bars (bright left, dark right)", l, r)
		}
	})

	step("a black picture is reported", func(t *testing.T) {
		setControl(t, v4l2.ControlVividTestPattern, 5) // 100% black
		k.waitCamera(t, "black", 15*time.Second)
		// With vivid's OSD text on the black: like a camera's timestamp
		// overlay, it must not hide a black picture.
		c := k.diagnostics(t).check(t, diag.CheckBlack)
		if dark, _ := strconv.Atoi(c.Params["dark"]); c.Status != diag.Fail || dark < 85 {
			t.Errorf("black check = %+v, want fail with at least 85%% near black", c)
		}
		staffRead(t, c, "lens cap")
		if got := k.pageCameraState(t); got != "black" {
			t.Errorf("page camera_state = %q, want black", got)
		}
		setControl(t, v4l2.ControlVividTestPattern, 0)
		k.waitCamera(t, "ok", 10*time.Second)
	})

	step("a frozen picture is reported", func(t *testing.T) {
		// Colour bars without the OSD's counters: every frame the same.
		setControl(t, v4l2.ControlVividOSDText, 2)
		k.waitCamera(t, "frozen", 20*time.Second)
		c := k.diagnostics(t).check(t, diag.CheckFrozen)
		if c.Status != diag.Fail {
			t.Errorf("frozen check = %+v, want fail", c)
		}
		staffRead(t, c, "not changed")
		if got := k.pageCameraState(t); got != "frozen" {
			t.Errorf("page camera_state = %q, want frozen", got)
		}
		setControl(t, v4l2.ControlVividOSDText, 0)
		k.waitCamera(t, "ok", 10*time.Second)
	})

	step("unplug and replug mid-stream", func(t *testing.T) {
		p := openPreview(t, k.base+"/preview.mjpeg")
		livePart(t, p, placeholder)
		writeSysfs(t, vividUnbind, vividDevice)
		k.waitCamera(t, "disconnected", 5*time.Second)
		if got := k.pageCameraState(t); got != "disconnected" {
			t.Errorf("page camera_state = %q, want disconnected", got)
		}
		c := k.diagnostics(t).check(t, diag.CheckPresent)
		if c.Status != diag.Fail {
			t.Errorf("present check while unplugged = %+v, want fail", c)
		}
		// The preview switches to the placeholder, and stays there: no
		// frozen last frame.
		for i := 0; ; i++ {
			if bytes.Equal(p.next(t), placeholder) {
				break
			}
			if i > 10 {
				t.Fatalf("preview still sends pictures %d parts after the unplug", i)
			}
		}
		for range 2 {
			if got := p.next(t); !bytes.Equal(got, placeholder) {
				t.Errorf("preview sent a picture (%d bytes) while the camera was unplugged", len(got))
			}
		}

		writeSysfs(t, vividBind, vividDevice)
		took := k.waitCamera(t, "ok", 30*time.Second)
		t.Logf("camera ok %v after the bind", took.Round(10*time.Millisecond))
		if took > replugWithin {
			t.Errorf("camera back %v after the bind, want within %v", took.Round(10*time.Millisecond), replugWithin)
		}
		if k.pid() != kioskPID {
			t.Errorf("kioskd was restarted")
		}
		livePart(t, p, placeholder)
	})
	k.stop()

	// A config naming a camera that is not there, while another one is.
	t.Run("wrong camera", func(t *testing.T) {
		missing := "/dev/v4l/by-id/usb-Expected_Camera_0001-video-index0"
		k := startKiosk(t, missing, nil)
		k.waitCamera(t, "wrong_camera", 20*time.Second)
		d := k.diagnostics(t)
		if c := d.check(t, diag.CheckPresent); c.Status != diag.Fail {
			t.Errorf("present check = %+v, want fail", c)
		}
		c := d.check(t, diag.CheckWrong)
		// sysfs's name for vivid's node; a UVC camera's is its product name.
		if c.Status != diag.Fail || c.Params["found"] != "vivid-000-vid-cap ("+video0+")" {
			t.Errorf("wrong-camera check = %+v, want fail naming vivid-000-vid-cap (%s)", c, video0)
		}
		staffRead(t, c, missing)
		if got := k.pageCameraState(t); got != "wrong_camera" {
			t.Errorf("page camera_state = %q, want wrong_camera", got)
		}
	})
}

// staffRead renders a check as staff read it and checks it says want.
func staffRead(t *testing.T, c diag.Result, want string) {
	t.Helper()
	text := i18n.Lookup("en", c.Key, c.Params)
	if !strings.Contains(text, want) || strings.Contains(text, "{") {
		t.Errorf("staff read %q; want it to mention %q", text, want)
	}
	t.Logf("staff read: %s", text)
}

// livePart reads preview parts until one is a camera picture, not the
// placeholder, and decodes it.
func livePart(t *testing.T, p *preview, placeholder []byte) image.Image {
	t.Helper()
	for range 40 {
		if b := p.next(t); !bytes.Equal(b, placeholder) {
			return decode(t, b)
		}
	}
	t.Fatal("the preview sent only the placeholder")
	return nil
}

// setNode gives /dev/video0 the owner udev would (root:video) and mode.
func setNode(t *testing.T, mode os.FileMode) {
	t.Helper()
	if err := os.Chown(video0, 0, videoGID(t)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(video0, mode); err != nil {
		t.Fatal(err)
	}
}

func setControl(t *testing.T, id uint32, v int32) {
	t.Helper()
	if err := v4l2.SetControl(video0, id, v); err != nil {
		t.Fatal(err)
	}
}

// startHolder runs v4l2-ctl streaming from the camera as the kiosk's user
// (so kioskd may see it in /proc) and returns once frames flow.
func startHolder(t *testing.T) *exec.Cmd {
	t.Helper()
	var out syncBuffer
	cmd := exec.Command("v4l2-ctl", "-d", video0, "--set-fmt-video=width=640,height=480,pixelformat=YUYV", "--stream-mmap")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: kioskUID, Gid: kioskUID, Groups: []uint32{uint32(videoGID(t))}}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for out.Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("v4l2-ctl did not start streaming")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cmd
}
