package vm

import (
	"fmt"
	"net"
	"strings"
)

// GuestForward lets the guest reach one host service although the network
// is restricted: each connection the guest opens to Addr (an address in
// qemu's user network, e.g. 10.0.2.100:8700) runs Command on the host with
// the connection as its standard input and output (qemu's guestfwd with
// cmd:). Command must write nothing else there, not even to stderr.
type GuestForward struct {
	Addr    string
	Command []string
}

// networked reports whether the guest needs its network card.
func (o Options) networked() bool { return len(o.Forward) > 0 || len(o.GuestForwards) > 0 }

// guestfwdRules turns GuestForwards into -netdev user options. qemu splits
// options on commas, so a comma in a command is doubled; it splits the
// command line itself on spaces (g_shell_parse_argv), so arguments are
// single-quoted.
func guestfwdRules(fwds []GuestForward) (string, error) {
	var b strings.Builder
	for _, f := range fwds {
		host, port, err := net.SplitHostPort(f.Addr)
		if err != nil || net.ParseIP(host).To4() == nil {
			return "", fmt.Errorf("vm: guest forward %q: want an IPv4 address and port", f.Addr)
		}
		if len(f.Command) == 0 {
			return "", fmt.Errorf("vm: guest forward %s: no command", f.Addr)
		}
		var args []string
		for _, a := range f.Command {
			args = append(args, shQuote(a))
		}
		cmd := strings.ReplaceAll(strings.Join(args, " "), ",", ",,")
		fmt.Fprintf(&b, ",guestfwd=tcp:%s:%s-cmd:%s", host, port, cmd)
	}
	return b.String(), nil
}

// diskArgs attaches each image as a virtio disk. cache=writeback (qemu's
// default) passes the guest's flushes on as fsync, so a bbolt commit in
// the guest is on the host's disk when it returns.
func diskArgs(disks []string) []string {
	var args []string
	for _, d := range disks {
		args = append(args, "-drive", "file="+strings.ReplaceAll(d, ",", ",,")+",if=virtio,format=raw,cache=writeback")
	}
	return args
}
