package gpio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"periph.io/x/conn/v3/driver/driverreg"
	pgpio "periph.io/x/conn/v3/gpio"
	"periph.io/x/host/v3/gpioioctl"
)

// Config names the cradle's lines as the kernel knows them (`gpioinfo`
// lists them) and says how they are wired.
type Config struct {
	// Chip is the GPIO chip holding the lines: its name ("gpiochip0") or
	// its label ("pinctrl-bcm2711", "gpio-sim.0-node0"); a label does not
	// change when chips are probed in another order. Empty searches all.
	Chip string

	Present   string // card-present switch; required
	Light     string // illumination; required
	Ready     string // status lights; empty when not fitted
	Busy      string
	Attention string

	PresentActiveLow bool       // a card pulls the switch line low
	PresentPull      pgpio.Pull // bias for the switch line; PullNoChange keeps the wiring's
	LightActiveLow   bool       // the illumination is on while its line is low
	StatusActiveLow  bool       // the status lights are on while their lines are low

	Options
}

// Open finds the configured lines on the host's GPIO chips and claims them.
// Every problem is a *LineError: a missing chip or line, a line another
// program holds, a chip device kioskd may not open.
//
// periph scans the chips once per process, on the first Open: a chip that
// appears later (a USB GPIO adapter plugged in after start) is seen only
// after a restart.
func Open(cfg Config) (*Cradle, error) {
	if _, err := driverreg.Init(); err != nil {
		return nil, fmt.Errorf("cradle: gpio init: %w", err)
	}
	chips, err := chipsFor(gpioioctl.Chips, cfg.Chip, cfg.Present)
	if err != nil {
		return nil, err
	}
	lines := map[Role]*gpioioctl.GPIOLine{}
	for _, l := range []struct {
		role Role
		name string
	}{
		{RolePresent, cfg.Present}, {RoleLight, cfg.Light},
		{RoleReady, cfg.Ready}, {RoleBusy, cfg.Busy}, {RoleAttention, cfg.Attention},
	} {
		if l.name == "" && l.role != RolePresent && l.role != RoleLight {
			continue // a status light that is not fitted
		}
		line, err := findLine(chips, cfg.Chip, l.role, l.name)
		if err != nil {
			return nil, err
		}
		lines[l.role] = line
	}
	if err := claims.take(lines); err != nil {
		err.Chip = cfg.Chip
		return nil, err
	}
	out := func(r Role, activeLow bool) Output {
		if lines[r] == nil {
			return Output{}
		}
		return Output{Pin: lines[r], ActiveLow: activeLow}
	}
	c, err := New(Pins{
		Present:   Input{Pin: lines[RolePresent], ActiveLow: cfg.PresentActiveLow, Pull: cfg.PresentPull},
		Light:     out(RoleLight, cfg.LightActiveLow),
		Ready:     out(RoleReady, cfg.StatusActiveLow),
		Busy:      out(RoleBusy, cfg.StatusActiveLow),
		Attention: out(RoleAttention, cfg.StatusActiveLow),
	}, cfg.Options)
	if err != nil {
		claims.give(lines)
		var le *LineError
		if errors.As(err, &le) {
			le.Chip = cfg.Chip
			if le.Problem == ProblemLineBusy && le.Consumer == "" && lines[le.Role] != nil {
				// What the kernel said when periph scanned the chip; empty
				// when the line was taken after that.
				le.Consumer = lines[le.Role].Consumer()
			}
		}
		return nil, err
	}
	c.released = func() { claims.give(lines) }
	return c, nil
}

// claims are the lines this process holds through Open. periph keeps one
// GPIOLine per kernel line for the whole process and reuses its request:
// a second Open of a held line would not be refused by the kernel, it
// would share the line, and closing either cradle would pull it from under
// the other. So the refusal is done here, as the kernel would between
// processes.
var claims = claimSet{held: map[*gpioioctl.GPIOLine]bool{}}

type claimSet struct {
	mu   sync.Mutex
	held map[*gpioioctl.GPIOLine]bool
}

func (s *claimSet) take(lines map[Role]*gpioioctl.GPIOLine) *LineError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for r, l := range lines {
		if s.held[l] {
			// Named as periph names this process to the kernel, which is
			// what gpioinfo shows for a line held by another process.
			self := fmt.Sprintf("%s@%d", filepath.Base(os.Args[0]), os.Getpid())
			return &LineError{Problem: ProblemLineBusy, Role: r, Line: l.Name(), Consumer: self}
		}
	}
	for _, l := range lines {
		s.held[l] = true
	}
	return nil
}

func (s *claimSet) give(lines map[Role]*gpioioctl.GPIOLine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range lines {
		delete(s.held, l)
	}
}

// chipsFor picks the chips to search: all of them, or the one whose name
// or label is want. Its errors name the presence line, the first one
// needed.
func chipsFor(all []*gpioioctl.GPIOChip, want, present string) ([]*gpioioctl.GPIOChip, error) {
	if len(all) == 0 {
		if dev := deniedChip(); dev != "" {
			return nil, &LineError{Problem: ProblemNoPermission, Role: RolePresent, Line: present, Chip: want, Device: dev}
		}
		return nil, &LineError{Problem: ProblemNoGPIO, Role: RolePresent, Line: present, Chip: want}
	}
	if want == "" {
		return all, nil
	}
	var have []string
	for _, c := range all {
		if c.Name() == want || c.Label() == want {
			return []*gpioioctl.GPIOChip{c}, nil
		}
		have = append(have, fmt.Sprintf("%s (%s)", c.Name(), c.Label()))
	}
	e := &LineError{Problem: ProblemChipMissing, Role: RolePresent, Line: present, Chip: want,
		Err: fmt.Errorf("chips here: %s", strings.Join(have, ", "))}
	if dev := deniedChip(); dev != "" {
		e.Problem, e.Device = ProblemNoPermission, dev
	}
	return nil, e
}

// findLine looks a line up by name. periph renames a line whose name an
// earlier chip already uses to "<chip>-<name>"; both spellings are found.
func findLine(chips []*gpioioctl.GPIOChip, chip string, r Role, name string) (*gpioioctl.GPIOLine, error) {
	if name != "" {
		for _, c := range chips {
			if l := c.ByName(name); l != nil {
				return l, nil
			}
			if l := c.ByName(c.Name() + "-" + name); l != nil {
				return l, nil
			}
		}
	}
	e := &LineError{Problem: ProblemLineMissing, Role: r, Line: name, Chip: chip}
	if dev := deniedChip(); dev != "" {
		// The line may well be on the chip periph could not open.
		e.Problem, e.Device = ProblemNoPermission, dev
		return nil, e
	}
	const most = 16 // enough to spot a typo; a SoC has a hundred
	var names []string
	for _, c := range chips {
		for _, l := range c.Lines() {
			if n := l.Name(); n != "" && len(names) < most {
				names = append(names, n)
			}
		}
	}
	if len(names) > 0 {
		e.Err = fmt.Errorf("named lines here: %s", strings.Join(names, ", "))
	}
	return nil, e
}

// deniedChip returns the first GPIO chip device this process may not open.
// periph skips such chips silently, so their lines just look missing.
func deniedChip() string {
	paths, _ := filepath.Glob("/dev/gpiochip*")
	for _, p := range paths {
		f, err := os.Open(p)
		if err == nil {
			f.Close()
			continue
		}
		if errors.Is(err, fs.ErrPermission) {
			return p
		}
	}
	return ""
}
