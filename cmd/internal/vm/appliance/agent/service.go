package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// applied are the [Unit] and [Service] keys a Service honours; every other
// key of the unit is reported as not applied, so the difference from the
// image is visible in the log rather than silent.
var applied = map[string][]string{
	"Unit": {"Description", "Documentation", "ConditionPathExists", "After", "Wants", "Requires", "RequiresMountsFor", "Before"},
	"Service": {"Type", "NotifyAccess", "ExecStart", "Restart", "RestartSec", "TimeoutStopSec", "WatchdogSec",
		"User", "Group", "SupplementaryGroups", "UMask", "RemainAfterExit"},
}

// Service is the part of a systemd service unit the agent carries out:
// the command, its user, groups and umask, the path conditions, and
// restart and stop behaviour. Ordering (After, Requires...) is the agent's
// own sequence, which follows the image's.
type Service struct {
	Name           string
	Type           string
	Exec           []string
	User, Group    string
	Groups         []string
	UMask          string
	Conditions     []string
	Restart        string
	RestartSec     time.Duration
	TimeoutStopSec time.Duration
	// WatchdogSec: without a WATCHDOG=1 for this long the service is
	// aborted (SIGABRT) and restarted; 0: off.
	WatchdogSec time.Duration
	// NotApplied lists the unit's keys the agent does not carry out, e.g.
	// ProtectSystem, WatchdogSec.
	NotApplied []string
}

// NewService reads the service part of u. Defaults are systemd's.
func NewService(u *Unit) (*Service, error) {
	s := &Service{
		Name: u.Name, Type: u.Get("Service", "Type"), User: u.Get("Service", "User"), Group: u.Get("Service", "Group"),
		UMask: u.Get("Service", "UMask"), Restart: u.Get("Service", "Restart"),
		Conditions:     u.All("Unit", "ConditionPathExists"),
		RestartSec:     100 * time.Millisecond,
		TimeoutStopSec: 90 * time.Second,
	}
	var err error
	if s.Exec, err = Exec(u.Get("Service", "ExecStart")); err != nil {
		return nil, fmt.Errorf("%s: ExecStart: %w", u.Name, err)
	}
	for _, g := range u.All("Service", "SupplementaryGroups") {
		s.Groups = append(s.Groups, strings.Fields(g)...)
	}
	for key, d := range map[string]*time.Duration{"RestartSec": &s.RestartSec, "TimeoutStopSec": &s.TimeoutStopSec, "WatchdogSec": &s.WatchdogSec} {
		if v := u.Get("Service", key); v != "" {
			if *d, err = TimeSpan(v); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", u.Name, key, err)
			}
		}
	}
	if s.Restart == "" {
		s.Restart = "no"
	}
	for _, sec := range []string{"Unit", "Service"} {
		for _, k := range u.Keys(sec) {
			if !slices.Contains(applied[sec], k) {
				s.NotApplied = append(s.NotApplied, k)
			}
		}
	}
	slices.Sort(s.NotApplied)
	return s, nil
}

// Met reports whether every ConditionPathExists holds; the first that does
// not is returned. systemd skips such a unit without failing it.
func (s *Service) Met() (bool, string) {
	for _, c := range s.Conditions {
		p, negate := strings.CutPrefix(c, "!")
		_, err := os.Stat(p)
		if (err == nil) == negate {
			return false, c
		}
	}
	return true, ""
}

// Command builds the process for one start: the unit's user, group,
// supplementary groups and the environment systemd gives a service with
// User= set. UMask is applied by a shell that then execs the command, so
// the process keeps the pid the supervisor knows.
func (s *Service) Command(out io.Writer, env ...string) (*exec.Cmd, error) {
	argv := s.Exec
	if s.UMask != "" {
		if _, err := strconv.ParseUint(s.UMask, 8, 32); err != nil {
			return nil, fmt.Errorf("%s: UMask %q: %w", s.Name, s.UMask, err)
		}
		argv = append([]string{"/bin/sh", "-c", `umask "$0" && exec "$@"`, s.UMask}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = "/"
	cmd.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}, env...)
	if s.User != "" {
		cred, home, err := credential(s.User, s.Group, s.Groups)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Env = append(cmd.Env, "USER="+s.User, "LOGNAME="+s.User, "HOME="+home)
	}
	return cmd, nil
}

// credential resolves a user, its group (default: the user's primary) and
// supplementary groups in the guest's /etc/passwd and /etc/group.
func credential(name, group string, groups []string) (*syscall.Credential, string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, "", err
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, "", err
		}
		gid, _ = strconv.ParseUint(g.Gid, 10, 32)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	for _, name := range groups {
		g, err := user.LookupGroup(name)
		if err != nil {
			return nil, "", err
		}
		id, _ := strconv.ParseUint(g.Gid, 10, 32)
		cred.Groups = append(cred.Groups, uint32(id))
	}
	return cred, u.HomeDir, nil
}

// Supervise runs s until ctx ends, restarting it as Restart= and
// RestartSec= say, then stops it as systemd does: SIGTERM, and SIGKILL
// after TimeoutStopSec. With n, the service gets NOTIFY_SOCKET and, with
// WatchdogSec, WATCHDOG_USEC; a service that then goes WatchdogSec without
// a ping is aborted and restarted. started is called with each new
// process's pid.
func (s *Service) Supervise(ctx context.Context, log *slog.Logger, out io.Writer, n *notifier, started func(pid int)) error {
	if ok, cond := s.Met(); !ok {
		log.Warn("unit skipped: condition not met", "unit", s.Name, "condition", cond)
		<-ctx.Done()
		return nil
	}
	var env []string
	var pings chan struct{}
	if n != nil {
		env = append(env, "NOTIFY_SOCKET="+n.Path)
		if s.WatchdogSec > 0 {
			env = append(env, "WATCHDOG_USEC="+strconv.FormatInt(s.WatchdogSec.Microseconds(), 10))
			pings = n.pings
		}
	}
	for i := 1; ; i++ {
		cmd, err := s.Command(out, env...)
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("%s: start: %w", s.Name, err)
		}
		log.Info("unit started", "unit", s.Name, "pid", cmd.Process.Pid, "start", i)
		if started != nil {
			started(cmd.Process.Pid)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		err, stop := s.watch(ctx, log, cmd, exited, pings)
		if stop {
			return err
		}
		log.Warn("unit exited", "unit", s.Name, "err", err)
		if s.Restart == "no" || (s.Restart == "on-failure" && err == nil) {
			<-ctx.Done()
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.RestartSec):
		}
	}
}

// watch waits for the process to exit, for ctx to end (it is then
// stopped; stop is true) or for the watchdog to run out (it is aborted,
// as systemd's WatchdogSignal=SIGABRT does, and waited for). pings nil:
// no watchdog.
func (s *Service) watch(ctx context.Context, log *slog.Logger, cmd *exec.Cmd, exited <-chan error, pings <-chan struct{}) (err error, stop bool) {
	var expired <-chan time.Time // nil: never
	if pings != nil {
		for len(pings) > 0 { // a ping from the previous run
			<-pings
		}
		expired = time.After(s.WatchdogSec)
	}
	for {
		select {
		case <-ctx.Done():
			return s.stop(log, cmd, exited), true
		case err := <-exited:
			return err, false
		case <-pings:
			expired = time.After(s.WatchdogSec)
		case <-expired:
			log.Error("watchdog timeout: no WATCHDOG=1; aborting the unit", "unit", s.Name, "after", s.WatchdogSec)
			cmd.Process.Signal(syscall.SIGABRT)
			select {
			case err := <-exited:
				return err, false
			case <-time.After(s.TimeoutStopSec):
				cmd.Process.Kill()
				return <-exited, false
			}
		}
	}
}

func (s *Service) stop(log *slog.Logger, cmd *exec.Cmd, exited <-chan error) error {
	begin := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-exited:
		log.Info("unit stopped", "unit", s.Name, "took", time.Since(begin).Round(time.Millisecond), "exit", exitText(err))
		if !cleanExit(err) {
			return fmt.Errorf("%s: did not stop cleanly on SIGTERM: %w", s.Name, err)
		}
		return nil
	case <-time.After(s.TimeoutStopSec):
		cmd.Process.Kill()
		<-exited
		return fmt.Errorf("%s: still running %s after SIGTERM; killed", s.Name, s.TimeoutStopSec)
	}
}

// cleanExit is systemd's view of a stopped service: exit status 0, or
// death by the SIGTERM it was sent.
func cleanExit(err error) bool {
	var ee *exec.ExitError
	if err == nil {
		return true
	}
	if errors.As(err, &ee) {
		ws, ok := ee.Sys().(syscall.WaitStatus)
		return ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM
	}
	return false
}

func exitText(err error) string {
	if err == nil {
		return "0"
	}
	return err.Error()
}
