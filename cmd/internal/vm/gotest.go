package vm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Require skips t when the host cannot boot a guest (qemu, busybox-static,
// apt, dpkg or depmod missing), unless IDKIOSK_VM=require, when it fails
// instead: CI must not pass without the VM tests.
func Require(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("IDKIOSK_VM") == "require" {
			t.Fatalf("VM tests required (IDKIOSK_VM=require) but: %v", err)
		}
		t.Skipf("VM tests skipped: %v (set IDKIOSK_VM=require to fail instead)", err)
	}
}

// Available reports what is missing to boot a guest, or nil.
func Available() error {
	var missing []string
	for _, tool := range []string{"qemu-system-x86_64", "apt-get", "apt-cache", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if _, err := os.Stat(busyboxPath); err != nil {
		missing = append(missing, busyboxPath+" (busybox-static)")
	}
	if _, err := os.Stat(depmodPath()); err != nil {
		missing = append(missing, "depmod (kmod)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: %w (Debian: apt-get install qemu-system-x86 busybox-static kmod)", strings.Join(missing, ", "), errNoTool)
	}
	return nil
}

// TestRunDir makes a run directory for t under CacheDir and removes it
// when t ends (unless IDKIOSK_VM_KEEP=1, for a post-mortem).
func TestRunDir(t testing.TB) string {
	t.Helper()
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := NewRunDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if os.Getenv("IDKIOSK_VM_KEEP") == "1" {
			t.Logf("run directory kept: %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}

// GoBuild builds Go packages into dir with the host toolchain, without
// -race (a race-enabled binary is several times slower under TCG). cgo
// stays on, with the caller's environment (the Makefile's CGO_CFLAGS):
// the guest runs the binaries against the host's own libraries.
func GoBuild(ctx context.Context, dir string, pkgs ...string) error {
	args := append([]string{"build", "-o", dir + "/"}, pkgs...)
	return goCmd(ctx, args...)
}

// GoTestBinary compiles the tests of pkg into the file out.
func GoTestBinary(ctx context.Context, out, pkg string) error {
	return goCmd(ctx, "test", "-c", "-o", out, pkg)
}

func goCmd(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// RunTest boots a guest that runs a Go test binary (built with
// GoTestBinary) with args, and fails t, with the binary's output, unless it
// passes. The output is logged either way.
func RunTest(ctx context.Context, t testing.TB, o Options, binary string, args ...string) *Result {
	t.Helper()
	o.Command = append([]string{binary}, args...)
	res, err := Run(ctx, o)
	if err != nil {
		if res != nil && len(res.Output) > 0 {
			t.Logf("guest output:\n%s", res.Output)
		}
		t.Fatal(err)
	}
	t.Logf("guest booted in %v; output:\n%s", res.Boot.Round(10e6), res.Output)
	if res.ExitCode != 0 {
		t.Fatalf("guest test binary exited %d", res.ExitCode)
	}
	return res
}
