package stack

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary plays three more parts, chosen before the tests run:
// a fake verifyd or kioskd (when started under that name through a
// symlink in a test's bin directory) and a launcher, for the test that
// kills the launcher.
const (
	envFakeAddr = "STACK_TEST_FAKE_ADDR" // where a fake service listens
	envLauncher = "STACK_TEST_LAUNCHER"  // "dir bin" of the launcher's stack
)

func TestMain(m *testing.M) {
	switch name := filepath.Base(os.Args[0]); {
	case (name == "verifyd" || name == "kioskd") && os.Getenv(envFakeAddr) != "":
		fakeService(os.Getenv(envFakeAddr))
	case os.Getenv(envLauncher) != "":
		launcher(os.Getenv(envLauncher))
	}
	os.Exit(m.Run())
}

// fakeService answers /healthz with its pid, so a test can tell it from
// another program on the same address, until a signal ends it (Go's
// default for SIGTERM: exit at once).
func fakeService(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake service:", err)
		os.Exit(1)
	}
	pid := strconv.Itoa(os.Getpid())
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, pid)
	}))
	fmt.Fprintln(os.Stderr, "fake service:", err)
	os.Exit(1)
}

// launcher starts kioskd as `make run` does, prints its pid and waits to
// be killed.
func launcher(dirs string) {
	dir, bin, _ := strings.Cut(dirs, " ")
	s := &Stack{Options: Options{Dir: dir, Bin: bin, KioskAddr: os.Getenv(envFakeAddr)}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := s.StartKioskd(ctx, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "launcher:", err)
		os.Exit(1)
	}
	fmt.Printf("pid %d\n", p.Pid())
	select {}
}

// fakeBin makes a bin directory whose verifyd and kioskd are this test
// binary, playing fakeService on addr.
func fakeBin(t *testing.T, addr string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	for _, name := range []string{"verifyd", "kioskd"} {
		if err := os.Symlink(self, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(envFakeAddr, addr)
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func getBody(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// A service left on the address from an earlier run answers 200 on
// /healthz too; the launcher must say so instead of taking it for the
// process it just started (which cannot listen and exits).
func TestStart_AddressInUse(t *testing.T) {
	addr := freeAddr(t)
	stale := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go stale.Serve(ln)
	defer stale.Close()
	s := &Stack{Options: Options{Dir: t.TempDir(), Bin: fakeBin(t, addr), VerifydAddr: addr, KioskAddr: addr}}

	tests := []struct {
		name  string
		start func(context.Context, io.Writer) (*Proc, error)
	}{
		{"verifyd", s.StartVerifyd},
		{"kioskd", s.StartKioskd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			p, err := tt.start(ctx, io.Discard)
			if err == nil {
				p.Kill()
				t.Fatalf("%s started on %s, held by another server; want an error", tt.name, addr)
			}
			want := fmt.Sprintf("%s is in use by another process (a %s left from an earlier run?", addr, tt.name)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error = %q, want it to contain %q", err, want)
			}
		})
	}
}

// On a free address, what answers once Start returns is the new process.
func TestStart_ReadyIsTheNewProcess(t *testing.T) {
	addr := freeAddr(t)
	s := &Stack{Options: Options{Dir: t.TempDir(), Bin: fakeBin(t, addr), KioskAddr: addr}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := s.StartKioskd(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	got, err := getBody("http://" + addr + "/healthz")
	if err != nil || got != strconv.Itoa(p.Pid()) {
		t.Errorf("GET /healthz = %q, %v; want the started process's pid %d", got, err, p.Pid())
	}
}

// procStart returns the start time of process pid (to tell it from a later
// process with the same pid) and whether it is still running: a zombie
// waiting for a reaper has exited.
func procStart(pid int) (start string, running bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", false
	}
	// The command name may hold spaces; the fields after it do not.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 20 {
		return "", false
	}
	return f[19], f[0] != "Z" && f[0] != "X"
}

// A launcher killed with SIGKILL (it cannot stop its children) must not
// leave kioskd running: the next `make run` would find the port taken.
func TestStart_ChildDiesWithLauncher(t *testing.T) {
	addr := freeAddr(t)
	bin := fakeBin(t, addr)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := exec.CommandContext(ctx, self, "-test.run=^$")
	l.Env = append(os.Environ(), envLauncher+"="+t.TempDir()+" "+bin)
	l.Stderr = os.Stderr
	out, err := l.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	defer l.Wait()
	defer l.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	var pid int
	if _, serr := fmt.Sscanf(line, "pid %d", &pid); err != nil || serr != nil {
		t.Fatalf("launcher printed %q, %v; want its kioskd's pid", line, err)
	}
	start, running := procStart(pid)
	if !running {
		t.Fatalf("kioskd (pid %d) is not running after the launcher found it ready", pid)
	}
	t.Cleanup(func() {
		if s, running := procStart(pid); running && s == start {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	if err := l.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	l.Wait()
	// Gone, and its port with it: the leader of a dying Go process shows as
	// a zombie while its other threads still close the files.
	gone := func() bool {
		if s, running := procStart(pid); running && s == start {
			return false
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}
	deadline := time.Now().Add(20 * time.Second)
	for !gone() {
		if time.Now().After(deadline) {
			t.Fatalf("kioskd (pid %d) still runs or holds %s 20s after its launcher was killed", pid, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Pdeathsig follows the thread that forked the child, not the process: a
// caller whose goroutine locked its thread and then returns (the runtime
// ends that thread) must not take kioskd down with it.
func TestStart_ChildOutlivesCallersThread(t *testing.T) {
	addr := freeAddr(t)
	s := &Stack{Options: Options{Dir: t.TempDir(), Bin: fakeBin(t, addr), KioskAddr: addr}}
	type started struct {
		p   *Proc
		err error
		tid int
	}
	var st started
	for {
		ch := make(chan started)
		go func() {
			runtime.LockOSThread()
			tid := syscall.Gettid()
			if tid == os.Getpid() {
				// The runtime never ends the main thread; try another.
				runtime.UnlockOSThread()
				ch <- started{tid: tid}
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			p, err := s.StartKioskd(ctx, io.Discard)
			ch <- started{p, err, tid}
			// Returns still locked: the runtime ends this thread.
		}()
		if st = <-ch; st.tid != os.Getpid() {
			break
		}
	}
	if st.err != nil {
		t.Fatal(st.err)
	}
	defer st.p.Kill()

	task := fmt.Sprintf("/proc/self/task/%d", st.tid)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(task); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d did not end after its locked goroutine returned", st.tid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The kernel has sent any death signal by now (when the thread exited).
	got, err := getBody("http://" + addr + "/healthz")
	if err != nil || got != strconv.Itoa(st.p.Pid()) {
		t.Errorf("after the caller's thread ended, GET /healthz = %q, %v; want kioskd (pid %d) still answering", got, err, st.p.Pid())
	}
	select {
	case <-st.p.Done():
		t.Errorf("kioskd exited (%v) when its caller's thread ended", st.p.err)
	default:
	}
}
