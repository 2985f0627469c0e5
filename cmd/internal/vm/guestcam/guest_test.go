package guestcam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/diag"
	"github.com/idkiosk/idkiosk/cmd/internal/stack"
)

// Environment the host side sets for the guest.
const (
	envGuest = "IDKIOSK_VM_GUEST" // "1" inside the VM
	envBin   = "IDKIOSK_BIN"      // directory with kioskd and verifyd
	envOut   = "IDKIOSK_VM_OUT"   // writable directory the host reads afterwards
)

const (
	video0    = "/dev/video0"
	kioskAddr = "127.0.0.1:8080"
	// nobody: kioskd runs unprivileged, as in the field, so permissions
	// and /proc visibility are the real ones.
	kioskUID = 65534
)

func guest(t *testing.T) {
	t.Helper()
	if os.Getenv(envGuest) != "1" {
		t.Skip("runs only inside the VM (cmd/internal/vm TestCamera_Vivid)")
	}
}

// videoGID is the "video" group's id from the host's /etc/group.
func videoGID(t *testing.T) int {
	t.Helper()
	g, err := user.LookupGroup("video")
	if err != nil {
		t.Fatalf("group video: %v", err)
	}
	gid, _ := strconv.Atoi(g.Gid)
	return gid
}

// kiosk is a kioskd process run as nobody with the video group.
type kiosk struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
	base string
}

// startKiosk prepares a stack (keys, enrolment, config) for device and
// runs kioskd as nobody. extra overrides kioskd.toml keys.
func startKiosk(t *testing.T, device string, extra map[string]string) *kiosk {
	t.Helper()
	return runKiosk(t, prepareKiosk(t, device, extra))
}

// prepareKiosk writes a stack for device and returns it, owned by nobody.
func prepareKiosk(t *testing.T, device string, extra map[string]string) *stack.Stack {
	t.Helper()
	dir, err := os.MkdirTemp("", "kiosk-")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{"cradle.driver": `"none"`, "ui.demo": "false"}
	for k, v := range extra {
		keys[k] = v
	}
	s, err := stack.Prepare(stack.Options{
		Dir: dir, Bin: os.Getenv(envBin), KioskAddr: kioskAddr, VerifydAddr: "127.0.0.1:8700",
		Camera: device, Kioskd: keys,
	})
	if err != nil {
		t.Fatalf("prepare stack: %v", err)
	}
	// kioskd must read its key and token and write its queue as nobody.
	if err := chownTree(dir, kioskUID, kioskUID); err != nil {
		t.Fatal(err)
	}
	return s
}

// runKiosk runs kioskd of a prepared stack as nobody, in the video group,
// and waits until it answers.
func runKiosk(t *testing.T, s *stack.Stack) *kiosk {
	t.Helper()
	k := &kiosk{logs: &syncBuffer{}, done: make(chan struct{}), base: "http://" + kioskAddr}
	k.cmd = exec.Command(filepath.Join(os.Getenv(envBin), "kioskd"), "-config", s.KioskConfig)
	k.cmd.Stdout, k.cmd.Stderr = k.logs, k.logs
	k.cmd.Env = append(os.Environ(), "TMPDIR="+s.KioskTempDir())
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
		Uid: kioskUID, Gid: kioskUID, Groups: []uint32{uint32(videoGID(t))},
	}}
	if err := k.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { k.cmd.Wait(); close(k.done) }()
	t.Cleanup(func() {
		k.stop()
		if t.Failed() {
			t.Logf("kioskd log:\n%s", k.logs)
		}
	})
	k.waitFor(t, "kioskd to answer", 60*time.Second, func() bool {
		resp, err := http.Get(k.base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return k
}

func (k *kiosk) stop() {
	select {
	case <-k.done:
		return
	default:
	}
	k.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-k.done:
	case <-time.After(20 * time.Second):
		k.cmd.Process.Kill()
		<-k.done
	}
}

func (k *kiosk) pid() int { return k.cmd.Process.Pid }

// waitFor polls cond every 50 ms until it holds or within passes, and
// returns how long it took.
func (k *kiosk) waitFor(t *testing.T, what string, within time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		select {
		case <-k.done:
			t.Fatalf("kioskd exited while waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Since(start) > within {
			t.Fatalf("no %s within %v (camera %q; diagnostics: %s)", what, within, k.health(t).Camera, k.diagnosticsText())
		}
	}
	return time.Since(start)
}

// waitCamera waits until /healthz reports the camera state want.
func (k *kiosk) waitCamera(t *testing.T, want string, within time.Duration) time.Duration {
	t.Helper()
	return k.waitFor(t, "camera state "+want, within, func() bool { return k.health(t).Camera == want })
}

type healthz struct {
	Status string `json:"status"`
	Camera string `json:"camera"`
}

func (k *kiosk) health(t *testing.T) healthz {
	var h healthz
	k.getJSON(t, "/healthz", &h)
	return h
}

// diagnostics is /api/diagnostics, what a staff tool shows.
type diagnostics struct {
	Driver    string `json:"driver"`
	State     string `json:"state"`
	LastError string `json:"last_error"`
	Stream    struct {
		Format string  `json:"format"`
		Frames uint64  `json:"frames"`
		FPS    float64 `json:"fps"`
	} `json:"stream"`
	Checks  []diag.Result `json:"checks"`
	Cameras []diag.Camera `json:"cameras"`
}

func (k *kiosk) diagnostics(t *testing.T) diagnostics {
	var d diagnostics
	k.getJSON(t, "/api/diagnostics", &d)
	return d
}

func (k *kiosk) diagnosticsText() string {
	resp, err := http.Get(k.base + "/api/diagnostics")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (d diagnostics) check(t *testing.T, id string) diag.Result {
	t.Helper()
	for _, c := range d.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("diagnostics have no %s check: %+v", id, d.Checks)
	return diag.Result{}
}

// pageCameraState is what the learner's page is told (state.camera_state).
func (k *kiosk) pageCameraState(t *testing.T) string {
	var st struct {
		CameraState string `json:"camera_state"`
	}
	k.getJSON(t, "/api/state", &st)
	return st.CameraState
}

func (k *kiosk) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(k.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// preview is an open MJPEG preview stream.
type preview struct {
	resp *http.Response
	mr   *multipart.Reader
}

func openPreview(t *testing.T, url string) *preview {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		resp.Body.Close()
		t.Fatalf("preview Content-Type %q: not multipart", resp.Header.Get("Content-Type"))
	}
	p := &preview{resp: resp, mr: multipart.NewReader(resp.Body, params["boundary"])}
	t.Cleanup(p.close)
	return p
}

func (p *preview) close() { p.resp.Body.Close() }

// next returns the next part's bytes.
func (p *preview) next(t *testing.T) []byte {
	t.Helper()
	part, err := p.mr.NextPart()
	if err != nil {
		t.Fatalf("preview part: %v", err)
	}
	b, err := io.ReadAll(part)
	if err != nil {
		t.Fatalf("preview part: %v", err)
	}
	return b
}

// decode decodes a JPEG or fails.
func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("preview part is not a JPEG (%d bytes): %v", len(b), err)
	}
	return img
}

// columnLuma is the mean luma of a vertical strip [x0, x1) of img.
func columnLuma(img image.Image, x0, x1 int) float64 {
	b := img.Bounds()
	var sum, n float64
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X + x0; x < b.Min.X+x1; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			sum += (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			n++
		}
	}
	return sum / n
}

func chownTree(root string, uid, gid int) error {
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// writeSysfs writes one value to a sysfs attribute.
func writeSysfs(t *testing.T, path, value string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		t.Fatalf("write %s to %s: %v", value, path, err)
	}
}

// procCPU is a process's user+system CPU time so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may contain spaces; fields count from after ")".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	// USER_HZ is 100 on every Linux the kiosk runs.
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}
