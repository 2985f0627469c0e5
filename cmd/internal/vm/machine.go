package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Module is a kernel module to load in the guest, with its parameters.
type Module struct {
	Name   string // e.g. "vivid"
	Params string // e.g. "n_devs=1 node_types=0x1"
}

// Options describe one boot. Command is required.
type Options struct {
	// CacheDir holds the kernel download and the run directories; default
	// CacheDir().
	CacheDir string
	// Kernel to boot; nil: EnsureKernel(ctx, CacheDir).
	Kernel *Kernel
	// RunDir is shared read-write with the guest at the same path, and
	// receives the command's output. Put files the guest needs here (or
	// anywhere on the host outside /tmp, /run and /var/tmp, which the guest
	// covers with its own tmpfs, keeping only the directories that hold
	// RunDir, the kernel, Dir and the command). Empty: Start makes one
	// under CacheDir.
	RunDir string
	// Memory in MiB (default 1024) and virtual CPUs (default 2).
	Memory, CPUs int

	// Modules are loaded, each after its modules.dep chain, once the host
	// root is mounted.
	Modules []Module
	// Files are added to the initramfs: absolute path -> content, e.g.
	// /etc/mdev.conf for busybox's mdev.
	Files map[string]string
	// Init lines run in busybox sh in the initramfs after the modules are
	// loaded and before the chroot, e.g. "mdev -d" to give device nodes
	// udev's modes.
	Init []string

	// Command runs chrooted into the host root, as root, in Dir (default
	// /), with a clean environment plus Env. Its stdout and stderr go to
	// Result.Output (and Output, as they come).
	Command []string
	Env     []string
	Dir     string

	// Forward lists guest TCP ports to expose on the host's loopback;
	// Machine.Addr says where. Without any the guest has no network card.
	// The network is qemu user mode with restrict=on: the guest can reach
	// nothing on the host or beyond.
	Forward []int
	// HostPorts pins the host port of a forwarded guest port (guest ->
	// host); the others get free ports.
	HostPorts map[int]int
	// GuestForwards let the guest reach chosen host services
	// (guestfwd.go); nothing else on the host is reachable.
	GuestForwards []GuestForward
	// Disks are raw images attached read-write as virtio disks, /dev/vda
	// first (load virtio_blk in Modules).
	Disks []string

	// Console receives the serial console (kernel and init messages) and
	// Output the command's output while the guest runs. Nil: not streamed.
	Console, Output io.Writer
}

// Result is what a finished guest reports.
type Result struct {
	ExitCode int
	Output   []byte        // the command's stdout and stderr
	Console  []byte        // the last 64 KiB of the serial console
	Boot     time.Duration // kernel start to the command's start, guest clock
}

// Machine is a running guest.
type Machine struct {
	runDir string
	ports  map[int]int
	cmd    *exec.Cmd
	done   chan struct{}
	err    error
	cons   *ring
	tailer chan struct{}
}

// Run boots a guest, runs o.Command and returns its result.
func Run(ctx context.Context, o Options) (*Result, error) {
	m, err := Start(ctx, o)
	if err != nil {
		return nil, err
	}
	return m.Wait()
}

// Paths the guest covers with its own tmpfs; the host's files there are
// invisible to it, except those keptUnderTmpfs names.
var guestTmpfs = []string{"/tmp", "/run", "/var/tmp"}

// underTmpfs returns the guest tmpfs mount that covers p, if any.
func underTmpfs(p string) (string, bool) {
	for _, t := range guestTmpfs {
		if p == t || strings.HasPrefix(p, t+"/") {
			return t, true
		}
	}
	return "", false
}

// keptUnderTmpfs lists the host directories the guest must still see
// through its tmpfs mounts: for a checkout under /tmp (a clone made to try
// the project), the run directory, the kernel and the command live there.
// Each is the whole first directory below the tmpfs mount, e.g. /tmp/clone,
// so the guest sees the checkout as the host does and nothing else of the
// host's /tmp.
func keptUnderTmpfs(o Options) []string {
	var kept []string
	for _, p := range []string{o.RunDir, o.Kernel.Dir, o.Dir, o.Command[0]} {
		if !filepath.IsAbs(p) {
			continue
		}
		t, ok := underTmpfs(p)
		if !ok || p == t {
			continue
		}
		top := t + "/" + strings.SplitN(strings.TrimPrefix(p, t+"/"), "/", 2)[0]
		if !slices.Contains(kept, top) {
			kept = append(kept, top)
		}
	}
	return kept
}

// Start boots a guest and returns while it runs. Cancelling ctx kills it.
func Start(ctx context.Context, o Options) (*Machine, error) {
	if len(o.Command) == 0 {
		return nil, errors.New("vm: no command")
	}
	var err error
	if o.CacheDir == "" {
		if o.CacheDir, err = CacheDir(); err != nil {
			return nil, err
		}
	}
	if o.CacheDir, err = filepath.Abs(o.CacheDir); err != nil {
		return nil, err
	}
	if o.Kernel == nil {
		if o.Kernel, err = EnsureKernel(ctx, o.CacheDir, nil); err != nil {
			return nil, err
		}
	}
	if o.RunDir == "" {
		if o.RunDir, err = NewRunDir(o.CacheDir); err != nil {
			return nil, err
		}
	}
	if o.Memory <= 0 {
		o.Memory = 1024
	}
	if o.CPUs <= 0 {
		o.CPUs = 2
	}
	for _, f := range []string{"output", "exit", "uptime"} {
		os.Remove(filepath.Join(o.RunDir, f))
	}

	initrd := filepath.Join(o.RunDir, "initrd.cpio")
	if err := writeInitramfs(initrd, o); err != nil {
		return nil, err
	}
	m := &Machine{runDir: o.RunDir, ports: map[int]int{}, done: make(chan struct{}), cons: &ring{max: 64 << 10}}
	args := []string{
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-m", strconv.Itoa(o.Memory), "-smp", strconv.Itoa(o.CPUs),
		"-kernel", o.Kernel.Image(), "-initrd", initrd,
		// panic=-1 turns a crashed init into an exit instead of a hang.
		"-append", "console=ttyS0 panic=-1 quiet",
		"-serial", "stdio",
		"-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
		"-virtfs", "local,path=" + o.RunDir + ",mount_tag=run,security_model=none,multidevs=remap",
	}
	args = append(args, diskArgs(o.Disks)...)
	if o.networked() {
		netdev := "user,id=net0,restrict=on"
		for _, gp := range o.Forward {
			hp := o.HostPorts[gp]
			if hp == 0 {
				if hp, err = FreePort(); err != nil {
					return nil, err
				}
			}
			m.ports[gp] = hp
			netdev += fmt.Sprintf(",hostfwd=tcp:127.0.0.1:%d-:%d", hp, gp)
		}
		rules, err := guestfwdRules(o.GuestForwards)
		if err != nil {
			return nil, err
		}
		netdev += rules
		args = append(args, "-netdev", netdev, "-device", "virtio-net-pci,netdev=net0")
	}
	// No -enable-kvm: /dev/kvm exists on these machines but KVM guests
	// hang; TCG boots Debian's kernel in ~5 s.
	m.cmd = exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	var cons io.Writer = m.cons
	if o.Console != nil {
		cons = io.MultiWriter(m.cons, o.Console)
	}
	m.cmd.Stdout, m.cmd.Stderr = cons, cons
	m.cmd.WaitDelay = 5 * time.Second
	// Its own process group: a Ctrl-C in the terminal reaches the caller,
	// which stops the guest in order, not qemu, which would quit at once.
	// Killed with its caller, though: a guest must not outlive the test or
	// launcher that started it.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("vm: start qemu: %w", err)
	}
	go func() {
		m.err = m.cmd.Wait()
		close(m.done)
	}()
	if o.Output != nil {
		m.tailer = make(chan struct{})
		go m.tail(filepath.Join(o.RunDir, "output"), o.Output)
	}
	return m, nil
}

// Addr is the host address forwarded to guestPort ("" if not forwarded).
func (m *Machine) Addr(guestPort int) string {
	if hp, ok := m.ports[guestPort]; ok {
		return "127.0.0.1:" + strconv.Itoa(hp)
	}
	return ""
}

// RunDir is the directory shared read-write with the guest.
func (m *Machine) RunDir() string { return m.runDir }

// Done is closed when qemu has exited.
func (m *Machine) Done() <-chan struct{} { return m.done }

// Kill stops the guest at once.
func (m *Machine) Kill() {
	if m.cmd.Process != nil {
		_ = m.cmd.Process.Kill()
	}
	<-m.done
}

// Wait waits for the guest to power off and returns the command's result.
// An error means the guest never reported an exit status (it crashed, hung
// until ctx ended, or failed to boot); Result.Console then tells why.
func (m *Machine) Wait() (*Result, error) {
	<-m.done
	if m.tailer != nil {
		<-m.tailer
	}
	res := &Result{ExitCode: -1, Console: m.cons.Bytes()}
	res.Output, _ = os.ReadFile(filepath.Join(m.runDir, "output"))
	if up, err := os.ReadFile(filepath.Join(m.runDir, "uptime")); err == nil {
		if f := strings.Fields(string(up)); len(f) > 0 {
			if s, err := strconv.ParseFloat(f[0], 64); err == nil {
				res.Boot = time.Duration(s * float64(time.Second))
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(m.runDir, "exit"))
	if err != nil {
		return res, fmt.Errorf("vm: guest gave no exit status (qemu: %v); console tail:\n%s", m.err, tail(res.Console, 4000))
	}
	if res.ExitCode, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
		return res, fmt.Errorf("vm: bad exit status %q", b)
	}
	return res, nil
}

// tail copies what the guest appends to path until qemu exits.
func (m *Machine) tail(path string, w io.Writer) {
	defer close(m.tailer)
	var off int64
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		exited := false
		select {
		case <-m.done:
			exited = true
		case <-tick.C:
		}
		if f, err := os.Open(path); err == nil {
			if n, _ := f.Seek(off, io.SeekStart); n == off {
				c, _ := io.Copy(w, f)
				off += c
			}
			f.Close()
		}
		if exited {
			return
		}
	}
}

// NewRunDir makes a fresh run directory under cacheDir/runs.
func NewRunDir(cacheDir string) (string, error) {
	base := filepath.Join(cacheDir, "runs")
	if !traversable(cacheDir) {
		base = sharedRunsDir
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(base, "run-")
	if err != nil {
		return "", err
	}
	// MkdirTemp makes it 0700; guest programs running as another user
	// (an unprivileged kioskd) must reach the binaries in it.
	return dir, os.Chmod(dir, 0o755)
}

// sharedRunsDir holds the run directories when the cache is inside a
// directory other users may not enter (a checkout in root's home, or in a
// mktemp -d directory): the guest sees host paths with their host modes,
// and its unprivileged programs (kioskd as nobody or kioskd) must reach
// the binaries in the run directory. Not under /tmp, /run or /var/tmp,
// which the guest covers with its own tmpfs.
const sharedRunsDir = "/var/cache/idkiosk/vm-runs"

// traversable reports whether every directory from / down to dir lets
// other users through (o+x).
func traversable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// CacheDir is where downloads and run directories go: $IDKIOSK_VM_CACHE if
// set (to time a first download without touching the shared cache), else
// <module root>/.cache/vm, which git ignores.
func CacheDir() (string, error) {
	if d := os.Getenv("IDKIOSK_VM_CACHE"); d != "" {
		return filepath.Abs(d)
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".cache", "vm"), nil
}

// ModuleRoot is the directory of the go.mod above the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("vm: no go.mod above the working directory")
		}
		dir = up
	}
}

// FreePort returns a TCP port free on the host's loopback now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ring keeps the last max bytes written to it.
type ring struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (r *ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, p...)
	if len(r.buf) > r.max {
		r.buf = append(r.buf[:0], r.buf[len(r.buf)-r.max:]...)
	}
	return len(p), nil
}

func (r *ring) Bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.buf)
}
