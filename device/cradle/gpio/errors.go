package gpio

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// Problem says why a line cannot be used, in words a health page can turn
// into advice.
type Problem string

// Problems with a cradle's lines.
const (
	ProblemNoGPIO       Problem = "no_gpio"       // no GPIO chip at all
	ProblemChipMissing  Problem = "chip_missing"  // the configured chip is not there
	ProblemLineMissing  Problem = "line_missing"  // no line of that name
	ProblemLineBusy     Problem = "line_busy"     // another program holds the line
	ProblemNoPermission Problem = "no_permission" // the chip device cannot be opened
	ProblemLineFailed   Problem = "line_failed"   // anything else the kernel refused
)

// LineError is a cradle line that cannot be used.
type LineError struct {
	Problem  Problem
	Role     Role
	Line     string // the line's name; empty for ProblemNoGPIO
	Chip     string // where it was looked for: a chip's name or label, or "" for any
	Device   string // the chip device that refused access (ProblemNoPermission)
	Consumer string // who holds the line, when the kernel says (ProblemLineBusy)
	Err      error
}

func (e *LineError) Error() string {
	where := "on any GPIO chip"
	if e.Chip != "" {
		where = "on GPIO chip " + e.Chip
	}
	var msg string
	switch e.Problem {
	case ProblemNoGPIO:
		msg = "no GPIO chip found (is the cradle connected and its driver loaded?)"
	case ProblemChipMissing:
		msg = fmt.Sprintf("GPIO chip %q not found", e.Chip)
	case ProblemLineMissing:
		msg = fmt.Sprintf("%s line %q not found %s", e.Role, e.Line, where)
	case ProblemLineBusy:
		by := "another program"
		if e.Consumer != "" {
			by = e.Consumer
		}
		msg = fmt.Sprintf("%s line %q is in use by %s", e.Role, e.Line, by)
	case ProblemNoPermission:
		msg = fmt.Sprintf("no permission to open %s for the %s line %q", e.Device, e.Role, e.Line)
	default:
		msg = fmt.Sprintf("%s line %q %s failed", e.Role, e.Line, where)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return "cradle: " + msg
}

func (e *LineError) Unwrap() error { return e.Err }

// pinName is what both periph pins and fakes have.
type pinName interface{ Name() string }

func lineError(r Role, p pinName, err error) *LineError {
	var le *LineError
	if errors.As(err, &le) {
		return le
	}
	e := &LineError{Problem: classify(err), Role: r, Err: err}
	if p != nil {
		e.Line = p.Name()
	}
	return e
}

// classify maps a kernel refusal to a Problem. gpioioctl turns errnos into
// plain strings (errors.New(errno.Error())), so the text is all there is.
func classify(err error) Problem {
	if err == nil {
		return ""
	}
	for _, e := range []struct {
		errno syscall.Errno
		p     Problem
	}{
		{syscall.EBUSY, ProblemLineBusy},
		{syscall.EACCES, ProblemNoPermission},
		{syscall.EPERM, ProblemNoPermission},
	} {
		if errors.Is(err, e.errno) || strings.Contains(err.Error(), e.errno.Error()) {
			return e.p
		}
	}
	return ProblemLineFailed
}
