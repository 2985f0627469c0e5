package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
	return s.start(ctx, logs, "verifyd", s.ServiceURL()+"/healthz",
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
	return s.start(ctx, logs, "kioskd", "http://"+s.KioskAddr+"/healthz", "-config", s.KioskConfig)
}

// KioskTempDir is kioskd's TMPDIR, so tests can check every temp file it
// could have written.
func (s *Stack) KioskTempDir() string { return s.path("kiosk-tmp") }

func (s *Stack) start(ctx context.Context, logs io.Writer, name, ready string, args ...string) (*Proc, error) {
	cmd := exec.Command(filepath.Join(s.Bin, name), args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Env = append(os.Environ(), "TMPDIR="+s.KioskTempDir())
	// Own process group, so a Ctrl-C on `make run` reaches the stack first
	// and it can stop the children in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := s.waitReady(ctx, ready, p.done); err != nil {
		p.Kill()
		return nil, fmt.Errorf("%s did not become ready: %w", name, err)
	}
	return p, nil
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
