package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
)

// diagnose runs the checks now and prints each with its advice. Exit: 0
// all passed, 1 something failed.
func diagnose(args []string, stdout, stderr io.Writer) int {
	fs, sf := socketCommand("diagnose", stderr)
	return ask(fs, sf, args, stdout, stderr, (*control.Client).Diagnose, printDiagnosis,
		func(d control.Diagnosis) int { return exitFor(d.OK) })
}

func printDiagnosis(w io.Writer, d control.Diagnosis) {
	fmt.Fprintf(w, "camera (%s): %s\n", d.Camera.Driver, d.Camera.State)
	for _, ch := range d.Camera.Checks {
		title := i18n.Lookup(i18n.Fallback, ch.ID+".title", nil)
		fmt.Fprintf(w, "  %-4s  %s: %s\n", strings.ToUpper(ch.Status), title, ch.Message)
	}
	printCradle(w, d.Cradle)
	printNetwork(w, d.Network, d.Time)
	printDisk(w, d.Disk)
	printClock(w, d.Clock)
	if d.OK {
		fmt.Fprintln(w, "result:     every check passed")
	} else {
		fmt.Fprintln(w, "result:     PROBLEMS FOUND (see above)")
	}
}
