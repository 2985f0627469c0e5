package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
)

// ctlRun is one kioskctl run: its output and exit status.
type ctlRun struct {
	stdout, stderr string
	code           int
}

// kioskctlPath builds kioskctl once for the package (the same build as
// env.kioskctl's) and returns its path.
func kioskctlPath(t *testing.T) string {
	t.Helper()
	kioskctlOnce.Do(func() {
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(goBin, "build", "-o", binDir+"/", "../../kioskctl").CombinedOutput()
		if err != nil {
			kioskctlErr = &buildError{out: string(out), err: err}
		}
	})
	if kioskctlErr != nil {
		t.Fatalf("build kioskctl: %v", kioskctlErr)
	}
	return filepath.Join(binDir, "kioskctl")
}

// runCtl runs kioskctl with args as cmd says (nil: this process's user).
func runCtl(t *testing.T, exe string, cred *syscall.Credential, args ...string) ctlRun {
	t.Helper()
	cmd := exec.Command(exe, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	err := cmd.Run()
	r := ctlRun{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("kioskctl %v: %v", args, err)
	}
	return r
}

// ctl runs kioskctl cmd against this env's kioskd, finding the socket from
// its config.
func (e *env) ctl(cmd string, args ...string) ctlRun {
	e.t.Helper()
	return runCtl(e.t, kioskctlPath(e.t), nil, append([]string{cmd, "-config", e.s.KioskConfig}, args...)...)
}

// Exit codes kioskctl documents.
const (
	ctlOK           = 0
	ctlProblem      = 1
	ctlNoPermission = 4
)

// TestKioskctl_StatusAndDiagnose is Done-when 2's first half against a
// running kioskd: `kioskctl status --json` carries the real queue,
// camera, service, identity and audit; `kioskctl diagnose` runs the checks
// and its exit status says whether they passed, with an unplugged camera
// and plugged back in; logs and keys answer too, without personal data.
func TestKioskctl_StatusAndDiagnose(t *testing.T) {
	e := newEnv(t, nil)
	e.startVerifyd()
	e.startKioskd()
	learner := e.completeProfile("learner@example.com", "Ana María Pérez", false)
	e.eventually("the profile delivered", func() bool { return e.health().Queue.Delivered == 1 })

	var st control.Status
	e.eventually("a status with the service probed", func() bool {
		r := e.ctl("status", "--json")
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
			t.Fatalf("status --json: %v\n%s%s", err, r.stdout, r.stderr)
		}
		if r.code != ctlOK && st.Health == "ok" {
			t.Fatalf("status --json exit %d with health ok", r.code)
		}
		return st.Network.Checked != nil && st.Health == "ok"
	})
	if st.Device.ID != e.s.DeviceID || st.Device.Version == "" || st.Device.Signer == "" || st.Device.ServiceKey == "" {
		t.Errorf("status device %+v, want %s with version, signer and service key", st.Device, e.s.DeviceID)
	}
	if st.Queue.Delivered != 1 || st.Queue.Queued != 0 || st.Queue.Dead != 0 || st.Upload.Delivered != 1 {
		t.Errorf("status queue %+v upload %+v, want 1 delivered and nothing waiting", st.Queue, st.Upload)
	}
	if st.Camera.State != "ok" || st.Camera.Driver != "sim" || len(st.Camera.Checks) == 0 || st.Camera.Frames == 0 {
		t.Errorf("status camera %+v, want the simulated camera streaming, with its checks", st.Camera)
	}
	if !st.Network.Reachable || st.Network.Status != http.StatusOK || st.Network.Service != e.s.ServiceURL() {
		t.Errorf("status network %+v, want the service reachable over mTLS", st.Network)
	}
	if st.Disk.FreeBytes == 0 || st.Disk.TotalBytes < st.Disk.FreeBytes || st.Cradle == nil || st.Cradle.Status != "ok" {
		t.Errorf("status disk %+v cradle %+v, want room and the simulated cradle", st.Disk, st.Cradle)
	}
	if st.Clock.Skew == nil || *st.Clock.Skew > 2 || *st.Clock.Skew < -2 {
		t.Errorf("status clock %+v, want the service's clock within 2 s of ours", st.Clock)
	}
	if r := e.ctl("status"); r.code != ctlOK || !strings.Contains(r.stdout, "health:     ok") || !strings.Contains(r.stdout, "1 delivered") {
		t.Errorf("status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	if r := e.ctl("diagnose"); r.code != ctlOK || !strings.Contains(r.stdout, "every check passed") {
		t.Errorf("diagnose with everything working: exit %d, want %d\n%s%s", r.code, ctlOK, r.stdout, r.stderr)
	}
	e.scene("unplugged")
	e.eventually("the camera disconnected", func() bool { return e.health().Camera == "disconnected" })
	r := e.ctl("diagnose")
	if r.code != ctlProblem || !strings.Contains(r.stdout, "FAIL  Picture arriving: No picture: the camera is disconnected.") {
		t.Errorf("diagnose with the camera unplugged: exit %d, want %d and the failing check\n%s%s", r.code, ctlProblem, r.stdout, r.stderr)
	}
	var d control.Diagnosis
	if r := e.ctl("diagnose", "-json"); json.Unmarshal([]byte(r.stdout), &d) != nil || d.OK || d.Camera.State != "disconnected" || r.code != ctlProblem {
		t.Errorf("diagnose -json with the camera unplugged: exit %d, ok %v camera %s", r.code, d.OK, d.Camera.State)
	}
	if r := e.ctl("status"); r.code != ctlProblem || !strings.Contains(r.stdout, "camera:     disconnected") {
		t.Errorf("status with the camera unplugged: exit %d, want %d\n%s", r.code, ctlProblem, r.stdout)
	}
	e.scene("auto")
	e.eventually("diagnose passing again", func() bool { return e.ctl("diagnose").code == ctlOK })

	logs := e.ctl("logs", "-n", "500")
	if logs.code != ctlOK || !strings.Contains(logs.stdout, "camera unavailable") || !strings.Contains(logs.stdout, "profile saved") {
		t.Errorf("logs: exit %d, want the camera's and the save's lines\n%s", logs.code, logs.stdout)
	}
	for _, pii := range []string{"Ana María Pérez", "learner@example.com", string(learner.FaceMarker)} {
		if strings.Contains(logs.stdout, pii) {
			t.Errorf("kioskctl logs shows personal data %q", pii)
		}
	}
	if warn := e.ctl("logs", "-level", "warn", "-json"); warn.code != ctlOK || strings.Contains(warn.stdout, `"level":"INFO"`) {
		t.Errorf("logs -level warn -json: exit %d, lines below warn:\n%s", warn.code, warn.stdout)
	}

	var k control.Keys
	if r := e.ctl("keys", "-json"); json.Unmarshal([]byte(r.stdout), &k) != nil || r.code != ctlOK {
		t.Fatalf("keys -json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if k.Signer.ID != st.Device.Signer || k.Certificate.Serial != st.Device.CertSerial || len(k.ServiceCA) == 0 {
		t.Errorf("keys %+v, want the signer and certificate the status names, and the pinned CA", k)
	}
	current := 0
	for _, sk := range k.ServiceKeys {
		if sk.Current {
			current++
			if sk.KeyID != st.Device.ServiceKey {
				t.Errorf("current service key %s, status says %s", sk.KeyID, st.Device.ServiceKey)
			}
		}
	}
	if current != 1 {
		t.Errorf("%d current service keys, want 1", current)
	}
	e.stop(e.kioskd)
}

// TestKioskctl_SocketRefusesOtherUsers is Done-when 2's "the socket
// refuses a user without permission": kioskd's control socket is mode
// 0660 in a 0750 directory, so kioskctl run as `nobody` is refused (exit
// 4, with what to do), while nobody with kioskd's group gets in: the
// file permissions are the access control. Runs as root (CI does): it
// must switch users.
func TestKioskctl_SocketRefusesOtherUsers(t *testing.T) {
	skipUnlessRoot(t, "running kioskctl as another user")
	// Every directory on the way must be open to nobody except the last,
	// which kioskd makes 0750: that one and the socket are under test.
	pub, err := os.MkdirTemp("/tmp", "idkiosk-ctl-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(pub) })
	os.Chmod(pub, 0o755)
	socket := filepath.Join(pub, "run", "kioskd.sock")
	e := newEnv(t, map[string]string{"queue.control_socket": strconv.Quote(socket)})
	e.startVerifyd()
	e.startKioskd()

	// A copy of kioskctl that nobody may run.
	exe := filepath.Join(pub, "kioskctl")
	copyFile(t, kioskctlPath(t), exe, 0o755)

	fi, err := os.Stat(socket)
	if err != nil {
		t.Fatal(err)
	}
	owner := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o660 {
		t.Errorf("control socket mode %04o, want 0660", fi.Mode().Perm())
	}

	const nobody = 65534
	refused := runCtl(t, exe, &syscall.Credential{Uid: nobody, Gid: nobody}, "status", "-socket", socket)
	if refused.code != ctlNoPermission || !strings.Contains(refused.stderr, "permission denied") || !strings.Contains(refused.stderr, "kioskd's user or group") {
		t.Errorf("kioskctl status as nobody: exit %d, want %d with the reason and what to do\n%s%s", refused.code, ctlNoPermission, refused.stdout, refused.stderr)
	}
	if strings.Contains(refused.stdout, e.s.DeviceID) {
		t.Errorf("nobody got an answer:\n%s", refused.stdout)
	}
	for _, cmd := range [][]string{{"diagnose"}, {"logs"}, {"keys"}, {"queue", "list"}} {
		r := runCtl(t, exe, &syscall.Credential{Uid: nobody, Gid: nobody}, append(cmd, "-socket", socket)...)
		if r.code == ctlOK {
			t.Errorf("kioskctl %v as nobody: exit 0, want a refusal\n%s", cmd, r.stdout)
		}
	}

	// The same user in kioskd's group is let in.
	member := runCtl(t, exe, &syscall.Credential{Uid: nobody, Gid: owner.Gid}, "status", "-json", "-socket", socket)
	var st control.Status
	if err := json.Unmarshal([]byte(member.stdout), &st); err != nil || st.Device.ID != e.s.DeviceID {
		t.Errorf("kioskctl status as nobody in group %d: exit %d, %v\n%s%s", owner.Gid, member.code, err, member.stdout, member.stderr)
	}
	e.stop(e.kioskd)
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
