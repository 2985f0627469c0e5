package vm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
)

// kernelMeta is the Debian metapackage that always depends on the current
// kernel ABI, e.g. linux-image-6.1.0-56-amd64.
const kernelMeta = "linux-image-amd64"

// readyFile marks a kernel tree as fully extracted and depmod'ed.
const readyFile = ".ready"

// Kernel is an extracted Debian kernel package.
type Kernel struct {
	Package string // e.g. linux-image-6.1.0-56-amd64
	Version string // e.g. 6.1.0-56-amd64 (uname -r in the guest)
	Dir     string // the extracted package root
}

// Image is the bootable kernel.
func (k *Kernel) Image() string { return filepath.Join(k.Dir, "boot", "vmlinuz-"+k.Version) }

// ModulesDir is lib/modules/<version> of the tree.
func (k *Kernel) ModulesDir() string { return filepath.Join(k.Dir, "lib", "modules", k.Version) }

var dependsRE = regexp.MustCompile(`(?m)^\s*Depends:\s*(linux-image-[0-9][^\s]*-amd64)\s*$`)

// EnsureKernel returns Debian's current amd64 kernel, extracted and
// depmod'ed under cacheDir/kernel, downloading it the first time. It holds
// cacheDir/lock meanwhile, so concurrent callers download once. Older
// kernels in the cache are removed once a newer one is ready. log receives
// what the tools print (nil: discarded).
func EnsureKernel(ctx context.Context, cacheDir string, log io.Writer) (*Kernel, error) {
	if log == nil {
		log = io.Discard
	}
	unlock, err := lockDir(cacheDir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	pkg, err := currentKernelPackage(ctx, log)
	if err != nil {
		return nil, err
	}
	root := filepath.Join(cacheDir, "kernel")
	dir := filepath.Join(root, pkg)
	if v, err := os.ReadFile(filepath.Join(dir, readyFile)); err == nil {
		return &Kernel{Package: pkg, Version: strings.TrimSpace(string(v)), Dir: dir}, nil
	}

	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	dl := filepath.Join(root, "download")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dl)
	// apt-get download writes into the working directory. It warns that it
	// runs unsandboxed as root when _apt cannot write there; harmless.
	if err := run(ctx, log, dl, "apt-get", "download", "-q", pkg); err != nil {
		return nil, fmt.Errorf("download %s: %w", pkg, err)
	}
	debs, _ := filepath.Glob(filepath.Join(dl, pkg+"_*.deb"))
	if len(debs) != 1 {
		return nil, fmt.Errorf("download %s: found %d .deb files", pkg, len(debs))
	}
	if err := run(ctx, log, "", "dpkg-deb", "-x", debs[0], dir); err != nil {
		return nil, fmt.Errorf("extract %s: %w", pkg, err)
	}
	mods, _ := filepath.Glob(filepath.Join(dir, "lib", "modules", "*"))
	if len(mods) != 1 {
		return nil, fmt.Errorf("%s: found %d module trees, want 1", pkg, len(mods))
	}
	k := &Kernel{Package: pkg, Version: filepath.Base(mods[0]), Dir: dir}
	if _, err := os.Stat(k.Image()); err != nil {
		return nil, fmt.Errorf("%s: no kernel image: %w", pkg, err)
	}
	// The package ships no modules.dep: Debian's postinst runs depmod.
	if err := run(ctx, log, "", depmodPath(), "-b", dir, k.Version); err != nil {
		return nil, fmt.Errorf("depmod %s: %w", k.Version, err)
	}
	if err := os.WriteFile(filepath.Join(dir, readyFile), []byte(k.Version+"\n"), 0o644); err != nil {
		return nil, err
	}
	// A new ABI replaces the old one: 400 MB each is not worth keeping.
	old, _ := filepath.Glob(filepath.Join(root, "linux-image-*"))
	for _, o := range old {
		if o != dir {
			os.RemoveAll(o)
		}
	}
	return k, nil
}

// currentKernelPackage asks apt which kernel package linux-image-amd64
// depends on now, running `apt-get update` once if apt knows no lists yet
// (a fresh container).
func currentKernelPackage(ctx context.Context, log io.Writer) (string, error) {
	for attempt := 0; ; attempt++ {
		out, err := exec.CommandContext(ctx, "apt-cache", "depends", kernelMeta).Output()
		if err == nil {
			if m := dependsRE.FindSubmatch(out); m != nil {
				return string(m[1]), nil
			}
		}
		if attempt > 0 {
			return "", fmt.Errorf("apt-cache depends %s: no linux-image-<abi>-amd64 dependency (err %v): %s", kernelMeta, err, out)
		}
		if err := run(ctx, log, "", "apt-get", "update", "-q"); err != nil {
			return "", fmt.Errorf("apt-get update: %w", err)
		}
	}
}

// depmodPath finds depmod, which lives in /sbin, not always on PATH.
func depmodPath() string {
	if p, err := exec.LookPath("depmod"); err == nil {
		return p
	}
	return "/sbin/depmod"
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
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(out.Bytes(), 2000))
	}
	return nil
}

// lockDir takes an exclusive flock on dir/lock, creating dir.
func lockDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

// Resolve returns the module files to load for names, dependencies first,
// each once, as paths relative to ModulesDir. Names may use '-' or '_'
// (the kernel treats them alike).
func (k *Kernel) Resolve(names ...string) ([]string, error) {
	f, err := os.Open(filepath.Join(k.ModulesDir(), "modules.dep"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return resolveModules(f, names)
}

// resolveModules orders names and their modules.dep dependencies so each
// module comes after everything it needs.
func resolveModules(depFile io.Reader, names []string) ([]string, error) {
	deps := map[string][]string{} // module path -> its dependencies
	byName := map[string]string{} // normalised name -> module path
	sc := bufio.NewScanner(depFile)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		mod, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		deps[mod] = strings.Fields(rest)
		byName[moduleName(mod)] = mod
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(mod string, chain []string) error
	visit = func(mod string, chain []string) error {
		switch state[mod] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("modules.dep: dependency cycle through %s", strings.Join(append(chain, mod), " -> "))
		}
		state[mod] = 1
		for _, d := range deps[mod] {
			if err := visit(d, append(chain, mod)); err != nil {
				return err
			}
		}
		state[mod] = 2
		order = append(order, mod)
		return nil
	}
	for _, n := range names {
		mod, ok := byName[normaliseModule(n)]
		if !ok {
			return nil, fmt.Errorf("module %q is not in modules.dep", n)
		}
		if err := visit(mod, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// moduleName turns kernel/fs/9p/9p.ko(.xz) into its normalised name, 9p.
func moduleName(path string) string {
	base := filepath.Base(path)
	base, _, _ = strings.Cut(base, ".ko")
	return normaliseModule(base)
}

func normaliseModule(n string) string { return strings.ReplaceAll(n, "-", "_") }

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

var errNoTool = errors.New("not installed")
