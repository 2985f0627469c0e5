package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/quality/qualitytest"
	"github.com/idkiosk/idkiosk/cmd/internal/stack"
	"github.com/idkiosk/idkiosk/cmd/internal/vm"
	"github.com/idkiosk/idkiosk/kiosk-ui/browsertest"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
)

// vmBinaries builds what `make vm` runs into a directory the guest can see
// (not /tmp): without -race, which is several times slower under TCG.
func vmBinaries(ctx context.Context, tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "bin")
	pkgs := []string{"cmd/kioskd", "cmd/kioskctl", "cmd/verifyd", "cmd/vmstack"}
	for i, p := range pkgs {
		pkgs[i] = "github.com/idkiosk/idkiosk/" + p
	}
	if err := vm.GoBuild(ctx, bin, pkgs...); err != nil {
		tb.Fatal(err)
	}
	cascade, err := qualitytest.CascadePath()
	if err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(cascade)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "facefinder"), b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return bin
}

// startVM starts `make vm`'s deployment with the launcher's own code
// (stack.StartVM): verifyd on the host, the kiosk in the appliance.
func startVM(ctx context.Context, tb testing.TB, dir, bin string, logs *logBuffer) *stack.VM {
	tb.Helper()
	ln := freeAddrTB(tb)
	v, err := stack.StartVM(ctx, stack.VMOptions{
		Dir: filepath.Join(dir, "state"), Bin: bin, VerifydAddr: ln,
		Accounts: []string{"learner@example.com"}, Logs: logs,
	})
	if err != nil {
		tb.Fatalf("%v\nlogs:\n%s", err, logTail(logs.String(), 8000))
	}
	return v
}

// TestVMAppliance_LearnerCompletesProfile is the browser end-to-end test
// against the virtual appliance of `make vm`: Chromium on the host taps
// through the kiosk page served by kioskd in the guest, through qemu's
// forward; the face photo is auto-captured from vivid (showing the
// simulated face) through go4vl and judged by the real checks, the ID
// photo is taken when the card-present line of gpio-sim goes high, and the
// profile travels through the guest's only way out to verifyd on the host,
// which decrypts exactly what was entered.
func TestVMAppliance_LearnerCompletesProfile(t *testing.T) {
	vm.Require(t)
	b := browsertest.New(t) // skips before the boot when Chromium is missing
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	dir := vm.TestRunDir(t)
	bin := vmBinaries(ctx, t, dir)
	logs := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("appliance and verifyd logs (tail):\n%s", logTail(logs.String(), 16000))
		}
	})
	v := startVM(ctx, t, dir, bin, logs)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			v.Appliance.Kill()
			v.Verifyd.Kill()
		}
	})
	t.Logf("the kiosk page answered %v after qemu started", v.BootToUI.Round(100*time.Millisecond))
	e := &env{t: t, s: v.Stack, logs: logs}
	kiosk := v.Appliance.KioskURL()

	const email, name = "learner@example.com", "Zoë D’Arcy-Ñúñez"
	// The page asks /api/demo whether to show the demo panel; a kiosk
	// without one (the image, this VM) answers 404, which Chromium logs.
	b.Allowed = append(b.Allowed, "status of 404 (Not Found) "+kiosk+"/api/demo")
	b.Run(browsertest.Navigate(kiosk + "/"))
	b.Run(b.PickLanguage("en")...)
	b.Run(
		browsertest.Click("start"), b.Step("consent"),
		browsertest.Click("consent-accept"), b.Step("email"),
		browsertest.Type("email-input", email), browsertest.Click("email-next"),
		b.Step("name"),
		browsertest.Type("name-input", name), browsertest.Click("name-next"),
	)
	b.Run(b.ChooseID("passport", false)...)

	// The face: nobody taps; kioskd captures once vivid's picture passes
	// every check. TCG is slow, so wait on the kiosk longer than the
	// browser helpers' 15 s per step.
	b.Run(b.Step("face"), browsertest.Visible(`img[data-testid="preview"]`))
	waitKiosk(t, kiosk, "the face photo taken from vivid", func(s session.State) bool {
		return s.Step == session.StepFace && s.Pending != nil && !s.Capturing
	})
	b.Run(browsertest.Visible(`img[data-testid="photo"]`), browsertest.Click("accept-photo"), b.Step("id_photo"))

	// The ID: the card goes into the cradle (gpio-sim's present line).
	if err := v.Appliance.SetCradle(ctx, true); err != nil {
		t.Fatal(err)
	}
	waitKiosk(t, kiosk, "the ID photo taken on the cradle", func(s session.State) bool {
		return s.Step == session.StepIDPhoto && s.Pending != nil && !s.Capturing
	})
	if rig, err := v.Appliance.Rig(ctx); err != nil || !rig.Cradle || rig.Light {
		t.Errorf("rig after the ID photo: %+v (%v); want the card in and the light off again", rig, err)
	}
	b.Run(
		browsertest.Visible(`img[data-testid="photo"]`), browsertest.Click("accept-photo"),
		b.Step("review"), browsertest.Click("submit"), b.Step("receipt"),
	)
	ref := b.Text("receipt-reference")
	b.Run(browsertest.Click("finish"), b.Step("welcome"), browsertest.Message("card_left_behind"))
	if err := v.Appliance.SetCradle(ctx, false); err != nil {
		t.Fatal(err)
	}
	b.CheckConsole()

	got := e.arrived(ref)[ref]
	if got.Stores != 1 || got.Device != v.DeviceID {
		t.Errorf("stored %d times from %q, want once from %q", got.Stores, got.Device, v.DeviceID)
	}
	p := e.profile(got.ID)
	if p.FullName != name || p.Email != email || p.Language != "en" || p.TwoSided || p.IDType != api.IDPassport {
		t.Errorf("service has %q <%s> lang %s two-sided %v %s; want %q <%s> en, one-sided passport",
			p.FullName, p.Email, p.Language, p.TwoSided, p.IDType, name, email)
	}
	checkPhotos(t, p, false, "/dev/video0") // vivid's
	// Judged for real on the VM's frames: passed, no staff override; the
	// face captured by the kiosk itself, the ID by the cradle.
	wantCapture := map[api.PhotoKind]string{api.PhotoFace: "auto", api.PhotoIDPhotoSide: "cradle"}
	if p.Quality == nil || len(p.Quality.Photos) != len(wantCapture) {
		t.Fatalf("quality report %+v, want one per photo", p.Quality)
	}
	for _, q := range p.Quality.Photos {
		if !q.Passed || q.Override != nil || q.Capture != wantCapture[q.Kind] {
			t.Errorf("%s: passed %v, override %v, capture %q; want passed, no override, %q", q.Kind, q.Passed, q.Override, q.Capture, wantCapture[q.Kind])
		}
	}

	// Ctrl-C: kioskd stops on SIGTERM within its unit's timeout (else the
	// agent exits non-zero and Stop says so), the guest powers off,
	// verifyd stops. The page goes first, as the image stops its browser
	// before kioskd (kiosk-browser.service is After=kioskd.service).
	b.Run(browsertest.Navigate("about:blank"))
	sctx, scancel := context.WithTimeout(ctx, time.Minute)
	defer scancel()
	stopped = true
	if err := v.Stop(sctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// waitKiosk polls the kiosk's state through the forward until cond holds,
// for up to 90 s (the guest is emulated, and shares the machine with the
// rest of `make test`).
func waitKiosk(t *testing.T, kiosk, what string, cond func(session.State) bool) session.State {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var st session.State
	for {
		resp, err := http.Get(kiosk + "/api/state")
		if err == nil {
			st = session.State{}
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err == nil && cond(st) {
				return st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (step %s, quality %+v, camera %s, message %+v)", what, st.Step, st.Quality, st.CameraState, st.Message)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// BenchmarkVMAppliance_BootToUI measures `make vm`'s promise: how long
// from starting qemu until the kiosk page answers on the host, on the first
// boot (a new data disk: the kiosk enrolls) and on later boots, and from
// the launcher's start (verifyd, the scenes, the disk) for the later
// boots. One cold and two warm boots whatever b.N.
func BenchmarkVMAppliance_BootToUI(b *testing.B) {
	vm.Require(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := vm.TestRunDir(b)
	bin := vmBinaries(ctx, b, dir)
	var warm, launch []time.Duration
	var cold time.Duration
	for i := range 3 {
		logs := &logBuffer{}
		begin := time.Now()
		v := startVM(ctx, b, dir, bin, logs)
		if i == 0 {
			cold = v.BootToUI
		} else {
			warm = append(warm, v.BootToUI)
			launch = append(launch, time.Since(begin))
		}
		b.Logf("boot %d: kiosk page after %v", i+1, v.BootToUI.Round(100*time.Millisecond))
		if err := v.Stop(ctx); err != nil {
			b.Fatalf("stop: %v\n%s", err, logTail(logs.String(), 4000))
		}
	}
	slices.Sort(warm)
	slices.Sort(launch)
	b.ReportMetric(cold.Seconds(), "cold-s-to-ui")
	b.ReportMetric(warm[len(warm)/2].Seconds(), "warm-s-to-ui")
	b.ReportMetric(launch[len(launch)/2].Seconds(), "launch-s-to-ui")
}

func freeAddrTB(tb testing.TB) string {
	tb.Helper()
	if t, ok := tb.(*testing.T); ok {
		return freeAddr(t)
	}
	return freeAddrB(tb.(*testing.B))
}

func logTail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}
