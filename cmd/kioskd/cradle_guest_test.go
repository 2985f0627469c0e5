package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/host/v3/gpioioctl"

	"github.com/idkiosk/idkiosk/cmd/internal/stack"
	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/device/cradle/cradletest"
	gpiocradle "github.com/idkiosk/idkiosk/device/cradle/gpio"
	"github.com/idkiosk/idkiosk/device/cradle/gpio/gpiosim"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
)

// The guest's simulated cradle: the default config's line names, on a chip
// with a label of its own, plus a spare line nobody configures.
const simLabel = "idkiosk-cradle"

// guestDebounce is far longer than the default: the guest is emulated
// (TCG) on a host that runs the other tests too, and a stall of the
// guest's CPU longer than the debounce in the middle of a bounce storm
// would rightly split it in two. Storms here are 20 sysfs writes, well
// under a millisecond when the guest runs.
const guestDebounce = 400 * time.Millisecond

var (
	guestChipOnce sync.Once
	guestChip     *gpiosim.Chip
	guestChipErr  error
)

// simChip makes the gpio-sim chip once per guest; the guest powers off
// with it. It must exist before the first gpiocradle.Open: periph scans
// the chips once per process.
func simChip(t *testing.T) *gpiosim.Chip {
	t.Helper()
	if os.Getenv(guestEnv) == "" {
		t.Skip("runs inside the VM: see TestVM_Cradle")
	}
	guestChipOnce.Do(func() {
		d := config.Default().Cradle
		guestChip, guestChipErr = gpiosim.New("cradle", simLabel,
			d.PresentLine, d.LightLine, d.ReadyLine, d.BusyLine, d.AttentionLine, "SPARE")
	})
	if guestChipErr != nil {
		t.Fatal(guestChipErr)
	}
	return guestChip
}

// simHand is the learner's hand and eyes on gpio-sim: it drives the switch
// line's pull and reads the lights' values (cradletest.Hand, Lamps,
// Bouncer).
type simHand struct {
	t    *testing.T
	chip *gpiosim.Chip
	d    config.Cradle
}

func (h simHand) pull(up bool) {
	if err := h.chip.Pull(h.d.PresentLine, up); err != nil {
		h.t.Error(err)
	}
}

func (h simHand) Place()  { h.pull(true) }
func (h simHand) Remove() { h.pull(false) }

func (h simHand) PlaceBouncing(n int) {
	for i := range n {
		h.pull(i%2 == 0)
	}
	h.pull(true)
}

func (h simHand) RemoveBouncing(n int) {
	for i := range n {
		h.pull(i%2 != 0)
	}
	h.pull(false)
}

func (h simHand) lit(line string) bool {
	v, err := h.chip.Value(line)
	if err != nil {
		h.t.Error(err)
	}
	return v
}

func (h simHand) Light() bool { return h.lit(h.d.LightLine) }

func (h simHand) Status() cradle.Status {
	lit := cradle.Status(-1)
	for s, line := range map[cradle.Status]string{
		cradle.StatusReady: h.d.ReadyLine, cradle.StatusBusy: h.d.BusyLine, cradle.StatusAttention: h.d.AttentionLine,
	} {
		if h.lit(line) {
			if lit != -1 {
				return -1
			}
			lit = s
		}
	}
	return lit
}

func gpioConfig(d config.Cradle) gpiocradle.Config {
	return gpiocradle.Config{
		Chip: simLabel, Present: d.PresentLine, Light: d.LightLine,
		Ready: d.ReadyLine, Busy: d.BusyLine, Attention: d.AttentionLine,
		Options: gpiocradle.Options{Debounce: guestDebounce},
	}
}

// gpio-sim's lines carry the configured names, and periph finds them there.
func TestVMGuest_LinesNamed(t *testing.T) {
	chip := simChip(t)
	if _, err := driverreg.Init(); err != nil {
		t.Fatal(err)
	}
	d := config.Default().Cradle
	want := []string{d.PresentLine, d.LightLine, d.ReadyLine, d.BusyLine, d.AttentionLine, "SPARE"}
	for _, c := range gpioioctl.Chips {
		if c.Label() != simLabel {
			continue
		}
		var got []string
		for _, l := range c.Lines() {
			got = append(got, l.Name())
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s (%s) lines %v, want %v", c.Name(), c.Label(), got, want)
		}
		if c.Name() != chip.ChipName {
			t.Errorf("periph calls the chip %s, gpio-sim %s", c.Name(), chip.ChipName)
		}
		return
	}
	t.Fatalf("periph sees no chip labelled %s", simLabel)
}

// The shared cradle suite, on the kernel's GPIO character device.
func TestVMGuest_Suite(t *testing.T) {
	chip := simChip(t)
	d := config.Default().Cradle
	cradletest.Run(t, func(t *testing.T) (cradle.Cradle, cradletest.Hand) {
		h := simHand{t: t, chip: chip, d: d}
		h.Remove()
		c, err := gpiocradle.Open(gpioConfig(d))
		if err != nil {
			t.Fatal(err)
		}
		return c, h
	})
}

// Missing and busy lines come back as LineErrors that say which and why.
func TestVMGuest_LineProblems(t *testing.T) {
	simChip(t)
	d := config.Default().Cradle

	cfg := gpioConfig(d)
	cfg.Light = "CRADLE_LAMP"
	_, err := gpiocradle.Open(cfg)
	var le *gpiocradle.LineError
	if !errors.As(err, &le) || le.Problem != gpiocradle.ProblemLineMissing || le.Role != gpiocradle.RoleLight {
		t.Errorf("missing light line: %v, want a line_missing LineError for the light", err)
	} else if !strings.Contains(err.Error(), "CRADLE_LIGHT") {
		t.Errorf("%v: does not list the chip's lines", err)
	}

	held, err := gpiocradle.Open(gpioConfig(d))
	if err != nil {
		t.Fatal(err)
	}
	_, err = gpiocradle.Open(gpioConfig(d))
	held.Close()
	if !errors.As(err, &le) || le.Problem != gpiocradle.ProblemLineBusy {
		t.Errorf("second Open of held lines: %v, want a line_busy LineError", err)
	}

	cfg = gpioConfig(d)
	cfg.Chip = "gpio-sim.9-bank0"
	_, err = gpiocradle.Open(cfg)
	if !errors.As(err, &le) || le.Problem != gpiocradle.ProblemChipMissing || !strings.Contains(err.Error(), simLabel) {
		t.Errorf("wrong chip: %v, want chip_missing listing %s", err, simLabel)
	}
}

// A kioskd user without access to /dev/gpiochip* is told so, not that the
// line is missing. The check runs in a child process as nobody.
func TestVMGuest_NoPermission(t *testing.T) {
	if os.Getenv("IDKIOSK_VM_CHILD") == "nobody" { // the parent made the chip
		_, err := gpiocradle.Open(gpioConfig(config.Default().Cradle))
		var le *gpiocradle.LineError
		if !errors.As(err, &le) || le.Problem != gpiocradle.ProblemNoPermission || !strings.HasPrefix(le.Device, "/dev/gpiochip") ||
			le.Line != config.Default().Cradle.PresentLine {
			t.Fatalf("Open as nobody: %v, want no_permission naming /dev/gpiochipN and the presence line", err)
		}
		fmt.Printf("child saw: %v\n", err)
		return
	}
	simChip(t)
	// nobody may not read the run directory the binary is in: copy it to
	// the guest's /tmp.
	exe := "/tmp/kioskd-nobody.test"
	if err := copyFile(exe, os.Args[0]); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(exe)
	cmd := exec.Command(exe, "-test.run", "^TestVMGuest_NoPermission$", "-test.v")
	cmd.Env = append(os.Environ(), "IDKIOSK_VM_CHILD=nobody")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	t.Logf("child as nobody:\n%s", out)
	if err != nil {
		t.Errorf("child: %v", err)
	}
}

func copyFile(dst, src string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}

// guestStack is the guest's deployment: keys, a verifyd for the moment of
// enrolling, the kiosk's identity, all on the guest's tmpfs (bbolt wants
// mmap, which the 9p share does not keep coherent with writes).
const guestStack = "/tmp/idkiosk-stack"

// guestKioskd prepares kioskd for the guest: vivid's /dev/video0 and the
// GPIO cradle on gpio-sim, with overrides of kioskd.toml keys. Preparing
// again reuses the enrollment.
func guestKioskd(t *testing.T, overrides map[string]string) (*config.Config, *stack.Stack, string) {
	t.Helper()
	const listen = "127.0.0.1:18080"
	keys := map[string]string{
		"cradle.driver":   `"gpio"`,
		"cradle.chip":     strconv.Quote(simLabel),
		"cradle.debounce": strconv.Quote(guestDebounce.String()),
		"camera.width":    "640",
		"camera.height":   "480",
		// vivid shows test patterns, never a face: the face photo fails its
		// checks, and staff accept it after the manual captures.
		"quality.manual_after": `"1s"`,
	}
	maps.Copy(keys, overrides)
	s, err := stack.Prepare(stack.Options{
		Dir: guestStack, Bin: os.Getenv(guestBinEnv),
		KioskAddr: listen, VerifydAddr: "127.0.0.1:18700",
		DeviceID: "vm-kiosk", Camera: "/dev/video0", Kioskd: keys,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(s.KioskConfig)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, s, "http://" + listen
}

// startKioskd runs kioskd in this process until the test ends, and waits
// until it answers /healthz.
func startKioskd(t *testing.T, cfg *config.Config, base string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var runErr error
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() {
		defer close(done)
		runErr = run(ctx, cfg, log)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if runErr != nil && !errors.Is(runErr, context.Canceled) {
			t.Errorf("kioskd: %v", runErr)
		}
	})
	eventually(t, "kioskd answers /healthz", func() bool {
		select {
		case <-done:
			t.Fatalf("kioskd stopped before serving")
		default:
		}
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // TCG: a frame can take 200 ms
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type healthJSON struct {
	Status string       `json:"status"`
	Camera string       `json:"camera"`
	Cradle cradleHealth `json:"cradle"`
}

func getHealth(t *testing.T, base string) healthJSON {
	t.Helper()
	var h healthJSON
	getJSON(t, base+"/healthz", &h)
	return h
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func act(t *testing.T, base string, a session.Action) {
	t.Helper()
	b, _ := json.Marshal(a)
	resp, err := http.Post(base+"/api/action", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("action %s: status %d: %s", a.Type, resp.StatusCode, body)
	}
}

func waitState(t *testing.T, base, what string, cond func(session.State) bool) session.State {
	t.Helper()
	var st session.State
	eventually(t, what, func() bool {
		st = session.State{}
		getJSON(t, base+"/api/state", &st)
		return cond(st)
	})
	return st
}

// lightWatch samples the light line's value as fast as sysfs answers, from
// outside kioskd, and keeps every change.
type lightWatch struct {
	stop    chan struct{}
	done    chan struct{}
	changes []bool      // the values seen, each different from the one before
	at      []time.Time // when each was first seen
	err     error
}

func watchLight(path string) *lightWatch {
	w := &lightWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		f, err := os.Open(path)
		if err != nil {
			w.err = err
			return
		}
		defer f.Close()
		buf := make([]byte, 8)
		for {
			// A stop seen here still gets one more read, which starts
			// after Stop was called and so sees the line as it is then.
			stopping := false
			select {
			case <-w.stop:
				stopping = true
			default:
			}
			// sysfs attributes are read whole from offset 0.
			n, err := f.ReadAt(buf, 0)
			if err != nil && !errors.Is(err, io.EOF) {
				w.err = err
				return
			}
			on := n > 0 && buf[0] == '1'
			if len(w.changes) == 0 || w.changes[len(w.changes)-1] != on {
				w.changes = append(w.changes, on)
				w.at = append(w.at, time.Now())
			}
			if stopping {
				return
			}
		}
	}()
	return w
}

func (w *lightWatch) Stop() ([]bool, error) {
	close(w.stop)
	<-w.done
	return w.changes, w.err
}

// The ID step end to end on real kernel drivers: placing the card (the
// switch line's pull goes up) makes kioskd take the ID photo from vivid,
// with the light line high while it does and low once the photo is there;
// /healthz shows the cradle fine throughout.
func TestVMGuest_KioskdCapturesWithLight(t *testing.T) {
	chip := simChip(t)
	d := config.Default().Cradle
	hand := simHand{t: t, chip: chip, d: d}
	hand.Remove()
	cfg, stk, base := guestKioskd(t, nil)
	startKioskd(t, cfg, base)
	if h := getHealth(t, base); h.Cradle.Status != "ok" || h.Cradle.Driver != "gpio" {
		t.Fatalf("healthz cradle %+v, want the gpio cradle ok", h.Cradle)
	}

	act(t, base, session.Action{Type: session.ActStart})
	act(t, base, session.Action{Type: session.ActConsentAccept})
	act(t, base, session.Action{Type: session.ActEmailSubmit, Email: "learner@example.org"})
	if st := waitState(t, base, "email checked", func(s session.State) bool { return !s.Checking }); st.Step == session.StepEmail {
		act(t, base, session.Action{Type: session.ActEmailContinue})
	}
	act(t, base, session.Action{Type: session.ActNameSubmit, Name: "Ana Pérez"})
	act(t, base, session.Action{Type: session.ActIDTypeSubmit, IDType: api.IDPassport})
	faceWithoutAFace(t, base, stk.StaffPIN)
	before := waitState(t, base, "ID step", func(s session.State) bool { return s.Step == session.StepIDPhoto && !s.Capturing })
	if hand.Light() {
		t.Fatal("the light is on before the card is placed")
	}

	lightPath, err := chip.ValuePath(d.LightLine)
	if err != nil {
		t.Fatal(err)
	}
	watch := watchLight(lightPath)
	hand.Place()
	// The still is taken and judged; vivid's pattern may or may not pass
	// as a card. Either way it came from vivid with the light on.
	st := waitState(t, base, "ID photo taken", func(s session.State) bool {
		return !s.Capturing && (s.Pending != nil || failed(s) > failed(before))
	})
	seen, err := watch.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []bool{false, true, false}) {
		t.Errorf("light line went %v, want off, on during the capture, off again", seen)
	} else {
		t.Logf("light line: on %v after the card was placed, for %v",
			watch.at[1].Sub(watch.at[0]).Round(time.Millisecond), watch.at[2].Sub(watch.at[1]).Round(time.Millisecond))
	}
	if hand.Light() {
		t.Error("the light is on with the photo taken")
	}
	if st.Pending == nil {
		t.Logf("the ID photo failed its checks (%v): vivid's pattern is no card", st.Message)
	} else {
		if st.Pending.Kind != api.PhotoIDPhotoSide {
			t.Errorf("pending %s photo, want the ID's photo side", st.Pending.Kind)
		}
		resp, err := http.Get(base + "/api/photos/pending.jpg")
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(resp.Body)
		resp.Body.Close()
		if err != nil || img.Bounds().Dx() != 640 || img.Bounds().Dy() != 480 {
			t.Errorf("the ID photo: %v; want a 640x480 JPEG from vivid", err)
		}
	}
	hand.Remove()
	if h := getHealth(t, base); h.Cradle.Status != "ok" {
		t.Errorf("healthz cradle after the capture: %+v", h.Cradle)
	}
}

func failed(s session.State) int {
	if s.Quality == nil {
		return 0
	}
	return s.Quality.Failed
}

// faceWithoutAFace gets past the face step with vivid's test pattern: the
// manual captures fail the face checks, then staff unlock staff mode with
// the PIN and accept the last one.
func faceWithoutAFace(t *testing.T, base, staffPIN string) {
	t.Helper()
	for i := range 3 {
		waitState(t, base, "manual capture offered", func(s session.State) bool {
			return s.Step == session.StepFace && !s.Capturing && s.Quality != nil && s.Quality.Manual
		})
		act(t, base, session.Action{Type: session.ActCapture})
		st := waitState(t, base, "face capture judged", func(s session.State) bool {
			return !s.Capturing && (s.Pending != nil || failed(s) > i)
		})
		if st.Pending != nil {
			break
		}
		if i == 2 {
			act(t, base, session.Action{Type: session.ActStaffUnlock, PIN: staffPIN})
			waitState(t, base, "staff mode unlocked", func(s session.State) bool { return s.Staff != nil && s.Staff.Unlocked })
			act(t, base, session.Action{Type: session.ActStaffOverride, Staff: "VM test", Reason: "vivid shows a test pattern, not a face"})
		}
	}
	waitState(t, base, "face photo", func(s session.State) bool { return s.Pending != nil })
	act(t, base, session.Action{Type: session.ActAcceptPhoto})
}

// A configured line the chip does not have: kioskd still serves (IDs held
// up to the camera) and /healthz says exactly what to fix.
func TestVMGuest_HealthzMissingLine(t *testing.T) {
	simChip(t)
	cfg, _, base := guestKioskd(t, map[string]string{"cradle.present_line": `"CRADLE_PRESNT"`})
	startKioskd(t, cfg, base)
	h := getHealth(t, base)
	c := h.Cradle
	if h.Status != "degraded" || c.Status != "fault" || c.Problem != "cradle.line_missing_on_chip" {
		t.Fatalf("healthz %+v, want degraded with cradle.line_missing_on_chip", h)
	}
	for _, want := range []string{"“CRADLE_PRESNT”", "cradle.present_line", simLabel} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("message %q does not name %s", c.Message, want)
		}
	}
	if !strings.Contains(c.Detail, "CRADLE_PRESENT") {
		t.Errorf("detail %q does not list the lines the chip has", c.Detail)
	}
	t.Logf("healthz says: %s", c.Message)
}
