package vm

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGuest_NetworkIsolation is the half of TestVM_NetworkIsolation that
// runs inside the guest; elsewhere it skips.
func TestGuest_NetworkIsolation(t *testing.T) {
	file := os.Getenv(envNetGuest)
	if file == "" {
		t.Skip("runs inside TestVM_NetworkIsolation's guest")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cfg netGuestConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.GuestPort))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, cfg.Answer)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	// Each attempt must fail within timeout: restrict=on answers the SYN
	// with a reset (libslirp 4.7) or drops it; they run side by side.
	const timeout = 3 * time.Second
	unreachable := []struct{ what, addr string }{
		{"a host listener on 127.0.0.1 through the gateway", hostPort("10.0.2.2", cfg.LoopbackPort)},
		{"a host listener on 0.0.0.0 through the gateway", hostPort("10.0.2.2", cfg.AnyPort)},
		{"the internet", "1.1.1.1:443"},
	}
	for _, a := range cfg.HostAddrs {
		unreachable = append(unreachable, struct{ what, addr string }{"the host's own address", hostPort(a, cfg.AnyPort)})
	}
	var wg sync.WaitGroup
	for _, u := range unreachable {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", u.addr, timeout)
			if err == nil {
				c.Close()
				t.Errorf("connected to %s (%s); want it out of reach", u.what, u.addr)
				return
			}
			t.Logf("%s (%s) out of reach: %v", u.what, u.addr, err)
		})
	}
	wg.Go(func() {
		if err := dnsQuery("10.0.2.3:53", timeout); err == nil {
			t.Errorf("qemu's DNS at 10.0.2.3 answered; want no answer")
		} else {
			t.Logf("qemu's DNS out of reach: %v", err)
		}
	})
	// The positive control: the one way out works.
	wg.Go(func() {
		got, err := throughGuestfwd(cfg.ServiceAddr, cfg.Nonce)
		if err != nil || got != cfg.Nonce {
			t.Errorf("through the guestfwd %s: got %q, %v; want the host target's %q", cfg.ServiceAddr, got, err, cfg.Nonce)
		}
	})
	wg.Wait()

	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(cfg.Stop); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the host never said stop")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// throughGuestfwd reads the target's first line and echoes it back.
func throughGuestfwd(addr, nonce string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("read: %w", err)
	}
	got := strings.TrimSpace(line)
	if got == nonce {
		_, err = fmt.Fprintf(c, "guest %s\n", got)
	}
	return got, err
}

// dnsQuery sends one query for example.com's A record and returns nil if
// anything comes back within timeout: even an error reply is an answer.
func dnsQuery(server string, timeout time.Duration) error {
	c, err := net.Dial("udp", server)
	if err != nil {
		return err
	}
	defer c.Close()
	q := []byte{
		0x12, 0x34, 0x01, 0x00, // id, flags: recursion desired
		0, 1, 0, 0, 0, 0, 0, 0, // one question
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1, // A, IN
	}
	if _, err := c.Write(q); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 512)
	_, err = c.Read(buf)
	return err
}
