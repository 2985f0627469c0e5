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
