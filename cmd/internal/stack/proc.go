package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Proc is a running verifyd or kioskd.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// StartVerifyd runs the service and waits until it answers /healthz.
func (s *Stack) StartVerifyd(ctx context.Context, logs io.Writer) (*Proc, error) {
	return s.start(ctx, logs, "verifyd", s.ServiceURL()+"/healthz", s.VerifydAddr,
		"-listen", s.VerifydAddr,
		"-tls-hosts", strings.Join(append([]string{"localhost", "127.0.0.1", "::1"}, s.ServiceHosts...), ","),
		"-data", s.path("verifyd"),
		"-keys", s.path("keys"),
		"-accounts", s.path("verifyd", "accounts"),
		"-review-password-file", s.path("verifyd", "review-password"),
	)
}

// StartKioskd runs the kiosk and waits until its UI answers.
func (s *Stack) StartKioskd(ctx context.Context, logs io.Writer) (*Proc, error) {
	return s.start(ctx, logs, "kioskd", "http://"+s.KioskAddr+"/healthz", s.KioskAddr, "-config", s.KioskConfig)
}

// KioskTempDir is kioskd's TMPDIR, so tests can check every temp file it
// could have written.
func (s *Stack) KioskTempDir() string { return s.path("kiosk-tmp") }

func (s *Stack) start(ctx context.Context, logs io.Writer, name, ready, addr string, args ...string) (*Proc, error) {
	if err := checkFree(name, addr); err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(s.Bin, name), args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Env = append(os.Environ(), "TMPDIR="+s.KioskTempDir())
	// Own process group, so a Ctrl-C on `make run` reaches the stack first
	// and it can stop the children in order. SIGTERM when the launcher
	// dies, even by SIGKILL, so no verifyd or kioskd outlives it and holds
	// the ports (and the queue) for the next run; a SIGTERM lets them close
	// their databases as on a normal stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	p := &Proc{Name: name, cmd: cmd, done: make(chan struct{})}
	if err := p.run(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := s.waitReady(ctx, ready, p.done); err != nil {
		p.Kill()
		return nil, fmt.Errorf("%s did not become ready: %w", name, err)
	}
	return p, nil
}

// run starts p.cmd and waits for it, both from one goroutine locked to its
// OS thread. The kernel sends Pdeathsig when the thread that forked the
// child ends, not the process (prctl(2), https://go.dev/issue/27505), and
// the Go runtime ends a thread when a goroutine that locked it returns
// without unlocking. Started from an ordinary goroutine, the child could
// get its SIGTERM the day some other goroutine locks and leaves that
// thread. Here the thread belongs to this goroutine until the child has
// exited; it is not unlocked, so the runtime ends it then.
func (p *Proc) run() error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return <-started
}

// checkFree fails when addr is already taken. Otherwise waitReady would
// take the 200 of whatever holds it, typically a verifyd or kioskd left
// from an earlier run, for the process just started, which then exits,
// unable to listen, while the launcher reports success.
func checkFree(name, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		_, port, _ := net.SplitHostPort(addr)
		return fmt.Errorf("%s is in use by another process (a %s left from an earlier run? `ss -ltnp 'sport = :%s'` shows which; stop it or pick another address)", addr, name, port)
	}
	if err != nil {
		return fmt.Errorf("%s cannot listen on %s: %w", name, addr, err)
	}
	return ln.Close()
}

// waitReady polls url until it answers 200, the process exits, or ctx ends.
func (s *Stack) waitReady(ctx context.Context, url string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		// A new client each time: verifyd writes the CA it serves under
		// when it starts, so the first polls may come before it exists.
		if resp, err := s.HTTPClient().Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errors.New("process exited")
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM and waits for a clean exit.
func (p *Proc) Stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(30 * time.Second):
		p.Kill()
		return fmt.Errorf("%s did not stop within 30s of SIGTERM", p.Name)
	}
}

// Kill ends the process at once, as a power cut would.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }
