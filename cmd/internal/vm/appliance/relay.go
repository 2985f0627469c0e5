package appliance

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Relay joins the connection qemu hands a guestfwd command (its standard
// input and output, one socket) to the host service at addr, until both
// directions end. It writes nothing to stdout or stderr: both are the
// guest's connection.
func Relay(addr string, stdio *os.File) error {
	guest, err := net.FileConn(stdio)
	if err != nil {
		return fmt.Errorf("relay: standard input is not a socket: %w", err)
	}
	defer guest.Close()
	host, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer host.Close()
	return Join(guest, host)
}

// Join copies both ways between a and b and returns when both directions
// are done. Each direction passes the end of its stream on as a half-close,
// so a request fully sent does not cut off its answer.
func Join(a, b net.Conn) error {
	var wg sync.WaitGroup
	errs := make([]error, 2)
	pipe := func(i int, dst, src net.Conn) {
		defer wg.Done()
		_, errs[i] = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	wg.Add(2)
	go pipe(0, a, b)
	go pipe(1, b, a)
	wg.Wait()
	return errors.Join(errs...)
}
