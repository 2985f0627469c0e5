package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
)

const pinHashUsage = `  kioskctl pin-hash                                read a staff PIN (6-12 digits) and print its staff.pin_hash line
`

// pinHash reads a PIN from stdin (twice, without echo, on a terminal) and
// prints the config line. The PIN itself is never printed or stored.
func pinHash(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprint(stderr, "usage:\n"+pinHashUsage)
		return exitUsage
	}
	tty, restore := noEcho(stdin)
	defer restore()
	r := bufio.NewReader(stdin)
	ask := func(prompt string) (string, error) {
		if tty {
			fmt.Fprint(stderr, prompt)
			defer fmt.Fprintln(stderr)
		}
		line, err := r.ReadString('\n')
		if err != nil && (!errors.Is(err, io.EOF) || line == "") {
			return "", fmt.Errorf("read the PIN: %w", err)
		}
		return strings.TrimSpace(line), nil
	}
	pin, err := ask("staff PIN (6-12 digits): ")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if tty {
		again, err := ask("again: ")
		if err != nil || again != pin {
			fmt.Fprintln(stderr, "the two PINs differ; nothing printed")
			return exitUsage
		}
	}
	h, err := config.HashPIN(pin)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "[staff]\npin_hash = %q\n", h)
	return exitOK
}

// noEcho turns the terminal's echo off when in is one, and says whether
// it is; restore turns it back on.
func noEcho(in io.Reader) (bool, func()) {
	f, ok := in.(*os.File)
	if !ok {
		return false, func() {}
	}
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return false, func() {}
	}
	old := *t
	t.Lflag &^= unix.ECHO
	unix.IoctlSetTermios(fd, unix.TCSETS, t)
	return true, func() { unix.IoctlSetTermios(fd, unix.TCSETS, &old) }
}
