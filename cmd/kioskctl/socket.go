package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"time"

	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
)

// socketFlags are the flags every control-socket command takes.
type socketFlags struct {
	socket, config *string
	json           *bool
}

func addSocketFlags(fs *flag.FlagSet) socketFlags {
	return socketFlags{
		socket: fs.String("socket", "", "kioskd's control socket"),
		config: fs.String("config", "", "kioskd's config file, to find the control socket"),
		json:   fs.Bool("json", false, "print kioskd's answer as JSON"),
	}
}

// statusTimeout bounds status, diagnose, logs and keys: diagnose waits
// for the service at most 5 s.
const statusTimeout = 30 * time.Second

// connect parses args and returns a client for the socket they name.
func connect(fs *flag.FlagSet, sf socketFlags, args []string, stderr io.Writer) (*control.Client, context.Context, context.CancelFunc, int) {
	if err := fs.Parse(args); err != nil {
		return nil, nil, nil, exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return nil, nil, nil, exitUsage
	}
	path, err := socketPath(*sf.socket, *sf.config)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, nil, nil, exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	return control.NewClient(path), ctx, cancel, exitOK
}

// socketCommand starts a control-socket command's flag set.
func socketCommand(name string, stderr io.Writer) (*flag.FlagSet, socketFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs, addSocketFlags(fs)
}

// ask runs a read-only command: it parses args, asks kioskd with call and
// prints the answer as JSON (-json) or with human. verdict turns the
// answer into the exit code; nil means exitOK. call is a method
// expression such as (*control.Client).Status, hence the receiver first.
func ask[T any](fs *flag.FlagSet, sf socketFlags, args []string, stdout, stderr io.Writer,
	call func(*control.Client, context.Context) (T, error), human func(io.Writer, T), verdict func(T) int) int {
	c, ctx, cancel, code := connect(fs, sf, args, stderr)
	if c == nil {
		return code
	}
	defer cancel()
	v, err := call(c, ctx)
	if err != nil {
		return failed(err, stderr)
	}
	if *sf.json {
		printJSON(stdout, v)
	} else {
		human(stdout, v)
	}
	if verdict == nil {
		return exitOK
	}
	return verdict(v)
}

// exitFor is the exit code for a check: exitOK or exitProblem.
func exitFor(ok bool) int {
	if ok {
		return exitOK
	}
	return exitProblem
}

// failed reports a failed call and the exit code that says why: no
// permission on the socket (the access control: kioskd's user and group
// only), no kioskd answering, or kioskd refusing the request.
func failed(err error, stderr io.Writer) int {
	var se *control.StatusError
	switch {
	case errors.Is(err, fs.ErrPermission):
		fmt.Fprintf(stderr, "%v\nkioskctl needs kioskd's user or group to use its control socket (run it as that user, or add yours to the group)\n", err)
		return exitNoPermission
	case errors.As(err, &se) && se.Status == http.StatusBadRequest:
		fmt.Fprintln(stderr, err)
		return exitUsage
	case errors.As(err, &se):
		fmt.Fprintln(stderr, err)
		return exitProblem
	}
	fmt.Fprintln(stderr, err)
	return exitNoAnswer
}
