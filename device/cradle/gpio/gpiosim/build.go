package gpiosim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// ModuleName is the name the built module loads under (gpiosim.ko): the
// driver and the IRQ simulator it needs, linked into one module.
const ModuleName = "gpiosim"

// ErrNoSources means the Debian packages Module builds from are not
// installed; the error text names them.
var ErrNoSources = errors.New("gpio-sim sources not installed")

// sources are the files taken from the kernel source tarball.
var sources = []string{"drivers/gpio/gpio-sim.c", "drivers/gpio/gpiolib.h", "kernel/irq/irq_sim.c"}

// irq_to_desc is not exported to modules; generic_handle_irq does the same
// for a module (checked on 6.1: gpio-sim's edges reach user space).
const (
	irqSimCall    = "handle_simple_irq(irq_to_desc(irqnum));"
	irqSimExports = "generic_handle_irq(irqnum);"
)

// Module returns gpiosim.ko built for the Debian kernel version (uname -r,
// e.g. 6.1.0-56-amd64), building it under cacheDir/gpio-sim the first time
// (~10 s: unpacking three files of the 139 MB source tarball, then ~2 s of
// compiling). Concurrent callers build once. log receives the tools'
// output (nil: discarded).
func Module(ctx context.Context, cacheDir, version string, log io.Writer) (string, error) {
	if log == nil {
		log = io.Discard
	}
	dir := filepath.Join(cacheDir, "gpio-sim", version)
	ko := filepath.Join(dir, ModuleName+".ko")
	if _, err := os.Stat(ko); err == nil {
		return ko, nil
	}
	series, _, _ := strings.Cut(version, "-") // 6.1.0
	if parts := strings.SplitN(series, ".", 3); len(parts) >= 2 {
		series = parts[0] + "." + parts[1]
	}
	tarball := "/usr/src/linux-source-" + series + ".tar.xz"
	headers := "/usr/src/linux-headers-" + version
	for _, p := range []string{tarball, headers} {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s is missing (apt-get install linux-source-%s linux-headers-%s)",
				ErrNoSources, p, series, version)
		}
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lock(filepath.Join(dir, "lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(ko); err == nil {
		return ko, nil // built by whoever held the lock
	}

	work, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	args := []string{"-xJf", tarball, "-C", work, "--strip-components=1"}
	for _, s := range sources {
		args = append(args, "linux-source-"+series+"/"+s)
	}
	if err := run(ctx, log, "", "tar", args...); err != nil {
		return "", err
	}
	src := filepath.Join(work, "mod")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	for _, s := range sources {
		b, err := os.ReadFile(filepath.Join(work, s))
		if err != nil {
			return "", err
		}
		if filepath.Base(s) == "irq_sim.c" {
			if !bytes.Contains(b, []byte(irqSimCall)) {
				return "", fmt.Errorf("%s: %q not found; the patch needs updating for this kernel", s, irqSimCall)
			}
			b = bytes.ReplaceAll(b, []byte(irqSimCall), []byte(irqSimExports))
		}
		if err := os.WriteFile(filepath.Join(src, filepath.Base(s)), b, 0o644); err != nil {
			return "", err
		}
	}
	kbuild := "obj-m += " + ModuleName + ".o\n" + ModuleName + "-objs := gpio-sim.o irq_sim.o\n"
	if err := os.WriteFile(filepath.Join(src, "Kbuild"), []byte(kbuild), 0o644); err != nil {
		return "", err
	}
	if err := run(ctx, log, "", "make", "-C", headers, "M="+src, "modules"); err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(src, ModuleName+".ko"))
	if err != nil {
		return "", err
	}
	// Rename last, so a cached .ko is always a whole one.
	tmp := ko + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, ko); err != nil {
		return "", err
	}
	return ko, nil
}

func run(ctx context.Context, log io.Writer, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	// One writer for both, so exec copies through a single pipe and the
	// buffer never sees two goroutines at once.
	w := io.MultiWriter(&out, log)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		b := out.Bytes()
		if len(b) > 2000 {
			b = b[len(b)-2000:]
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, b)
	}
	return nil
}

// lock takes an exclusive flock on path.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
