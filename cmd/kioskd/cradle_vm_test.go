package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/vm"
	"github.com/idkiosk/idkiosk/device/cradle/gpio/gpiosim"
)

// guestEnv marks this test binary running inside the VM; the TestVMGuest
// tests run only there. guestBinEnv names the directory with the host-built
// binaries the guest needs (verifyd, to enroll the kiosk).
const (
	guestEnv    = "IDKIOSK_VM_GUEST"
	guestBinEnv = "IDKIOSK_VM_BIN"
)

// TestVM_Cradle boots Debian's kernel with gpio-sim as the cradle and vivid
// as the camera, and runs this package's TestVMGuest tests in it: the GPIO
// cradle through periph's character-device driver on a real kernel GPIO
// chip, and kioskd capturing an ID from vivid when the card-present line
// goes high, with the light line watched from the outside.
func TestVM_Cradle(t *testing.T) {
	if os.Getenv(guestEnv) != "" {
		t.Skip("already in the guest")
	}
	vm.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := vm.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(root, ".cache", "vm")
	k, err := vm.EnsureKernel(ctx, cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	ko, err := gpiosim.Module(ctx, cache, k.Version, nil)
	if errors.Is(err, gpiosim.ErrNoSources) && os.Getenv("IDKIOSK_VM") != "require" {
		t.Skipf("%v (set IDKIOSK_VM=require to fail instead)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := vm.TestRunDir(t)
	bin := filepath.Join(dir, "kioskd.test")
	if err := vm.GoTestBinary(ctx, bin, "github.com/idkiosk/idkiosk/cmd/kioskd"); err != nil {
		t.Fatal(err)
	}
	bins := filepath.Join(dir, "bin")
	if err := vm.GoBuild(ctx, bins, "github.com/idkiosk/idkiosk/cmd/verifyd"); err != nil {
		t.Fatal(err)
	}
	// kioskd's photo checks load pigo's face cascade; the stack looks for
	// it beside the binaries, as make build puts it.
	pigo, err := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"),
		"list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
	if err != nil {
		t.Fatalf("find pigo's module: %v", err)
	}
	cascade, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(pigo)), "cascade", "facefinder"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bins, "facefinder"), cascade, 0o644); err != nil {
		t.Fatal(err)
	}
	vm.RunTest(ctx, t, vm.Options{
		Kernel: k, RunDir: dir,
		Modules: []vm.Module{
			{Name: "configfs"}, // gpio-sim is configured through it
			{Name: "vivid", Params: "n_devs=1 node_types=0x1 input_types=0x0"},
		},
		// gpiosim.ko is not in the kernel's tree, so the harness's module
		// list cannot name it; init loads it from the host root.
		Init: []string{"insmod /host" + ko + " || fail insmod " + gpiosim.ModuleName},
		Env:  []string{guestEnv + "=1", guestBinEnv + "=" + bins},
	}, bin, "-test.run", "^TestVMGuest", "-test.v", "-test.count=1", "-test.timeout=3m")
}
