package e2e

import (
	"os"
	"os/exec"
	"sync"
	"testing"
)

var (
	kioskctlOnce sync.Once
	kioskctlErr  error
)

// kioskctl runs the staff CLI against this env's kioskd (through its
// control socket) and returns its output. It is built on first use.
func (e *env) kioskctl(args ...string) (string, error) {
	e.t.Helper()
	exe := kioskctlPath(e.t)
	args = append(args[:1:1], append([]string{"-config", e.s.KioskConfig}, args[1:]...)...)
	out, err := exec.Command(exe, append([]string{"queue"}, args...)...).CombinedOutput()
	return string(out), err
}

type buildError struct {
	out string
	err error
}

func (b *buildError) Error() string { return b.err.Error() + "\n" + b.out }

// mustKioskctl is kioskctl that fails the test on a non-zero exit.
func (e *env) mustKioskctl(args ...string) string {
	e.t.Helper()
	out, err := e.kioskctl(args...)
	if err != nil {
		e.t.Fatalf("kioskctl queue %v: %v\n%s", args, err, out)
	}
	return out
}

// skipUnlessRoot skips a test that needs root (mounts, namespaces), unless
// IDKIOSK_E2E=require, where it fails instead: CI runs as root.
func skipUnlessRoot(t *testing.T, why string) {
	t.Helper()
	if isRoot() {
		return
	}
	if requireE2E() {
		t.Fatalf("%s needs root (IDKIOSK_E2E=require)", why)
	}
	t.Skipf("%s needs root; run as root or set IDKIOSK_E2E=require to make this a failure", why)
}

func isRoot() bool { return os.Geteuid() == 0 }

func requireE2E() bool { return os.Getenv("IDKIOSK_E2E") == "require" }
