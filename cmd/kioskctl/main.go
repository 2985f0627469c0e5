// Binary kioskctl is the operator's command line for a kiosk: what state it
// is in (status.go: status, diagnose, logs, keys), whether its config is
// sound, its queue (queue.go), the staff PIN's hash (pinhash.go), and
// enrolling it with the verification service (enroll.go). Everything but
// check-config, pin-hash and enroll talks to kioskd over its control
// socket, whose file permissions are the access control.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
)

// Exit codes scripts can rely on (also in the usage text).
const (
	exitOK           = 0
	exitProblem      = 1 // the kiosk or the config has a problem: degraded, a check failed, a refusal
	exitUsage        = 2
	exitNoAnswer     = 3 // kioskd did not answer: not running, or no socket there
	exitNoPermission = 4 // this user may not use kioskd's control socket
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	return runIn(args, os.Stdin, stdout, stderr)
}

func runIn(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "status":
		return status(args[1:], stdout, stderr)
	case "diagnose":
		return diagnose(args[1:], stdout, stderr)
	case "logs":
		return logs(args[1:], stdout, stderr)
	case "keys":
		return keys(args[1:], stdout, stderr)
	case "pin-hash":
		return pinHash(args[1:], stdin, stdout, stderr)
	case "check-config":
		return checkConfig(args[1:], stdout, stderr)
	case "queue":
		return queueCmd(args[1:], stdout, stderr)
	case "enroll":
		return enrollCmd(args[1:], stdout, stderr)
	}
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
`+statusUsage+`  kioskctl check-config FILE                        every problem in a kioskd config
`+queueUsage+enrollUsage+pinHashUsage+`
exit status: 0 ok; 1 the kiosk has a problem (status: degraded; diagnose: a check
failed; a refusal); 2 usage; 3 kioskd did not answer; 4 no permission to use
kioskd's control socket (kioskd's user and group only)
`)
}

func checkConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		usage(stderr)
		return exitUsage
	}
	if _, err := config.Load(args[0]); err != nil {
		fmt.Fprintln(stderr, err)
		return exitProblem
	}
	fmt.Fprintf(stdout, "%s: ok\n", args[0])
	return exitOK
}
