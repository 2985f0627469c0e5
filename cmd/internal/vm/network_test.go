package vm

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// netGuestConfig is what TestVM_NetworkIsolation tells its guest half
// (netguest_test.go), as JSON in the run directory.
type netGuestConfig struct {
	LoopbackPort int      // a host listener on 127.0.0.1 only
	AnyPort      int      // a host listener on 0.0.0.0
	HostAddrs    []string // the host's own non-loopback IPv4 addresses
	ServiceAddr  string   // the guestfwd address, relayed to the host's target
	Nonce        string   // what the target sends first
	GuestPort    int      // the guest serves its answer here, forwarded
	Answer       string   // what the guest's server answers
	Stop         string   // the guest exits once this file exists
}

// envNetGuest names the guest half's config file; unset outside the guest.
const envNetGuest = "IDKIOSK_VM_NETGUEST"

// The guest's network as the appliance has it: user networking with
// restrict=on, one forward of a guest port to the host's loopback and one
// guestfwd relayed (by vmstack -relay, as `make vm` does) to a host
// service. From inside, the guest must reach that service and nothing
// else: not the host's listeners through qemu's gateway, whether on
// loopback or all addresses, not the host's own addresses, not the
// internet, not qemu's DNS. From the host, the forward must be bound to
// 127.0.0.1 only, or anyone on the kiosk's network could reach the guest.
func TestVM_NetworkIsolation(t *testing.T) {
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := TestRunDir(t)
	bin := filepath.Join(dir, "bin")
	if err := GoBuild(ctx, bin, "github.com/idkiosk/idkiosk/cmd/vmstack"); err != nil {
		t.Fatal(err)
	}
	test := filepath.Join(dir, "vm.test")
	if err := GoTestBinary(ctx, test, "github.com/idkiosk/idkiosk/cmd/internal/vm"); err != nil {
		t.Fatal(err)
	}

	// Host services the guest must not reach; any connection they accept
	// is a leak, whatever the guest concluded.
	var leaks atomic.Int32
	forbidden := func(addr string) int {
		ln, err := net.Listen("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				leaks.Add(1)
				t.Logf("host listener %s accepted %s", ln.Addr(), c.RemoteAddr())
				c.Close()
			}
		}()
		return ln.Addr().(*net.TCPAddr).Port
	}
	cfg := netGuestConfig{
		LoopbackPort: forbidden("127.0.0.1:0"),
		AnyPort:      forbidden("0.0.0.0:0"),
		HostAddrs:    hostIPv4s(t),
		ServiceAddr:  "10.0.2.100:8700",
		Nonce:        randomToken(t),
		GuestPort:    8000,
		Answer:       randomToken(t),
		Stop:         filepath.Join(dir, "stop"),
	}
	// The guestfwd's target: says the nonce, expects it back.
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	echoed := make(chan string, 1)
	go func() {
		c, err := target.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Minute))
		fmt.Fprintf(c, "%s\n", cfg.Nonce)
		line, _ := bufio.NewReader(c).ReadString('\n')
		echoed <- strings.TrimSpace(line)
	}()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "netguest.json")
	if err := os.WriteFile(cfgFile, b, 0o644); err != nil {
		t.Fatal(err)
	}

	var output strings.Builder
	m, err := Start(ctx, Options{
		RunDir:  dir,
		Command: []string{test, "-test.run", "^TestGuest_NetworkIsolation$", "-test.v", "-test.timeout", "3m"},
		Env:     []string{envNetGuest + "=" + cfgFile},
		Forward: []int{cfg.GuestPort},
		GuestForwards: []GuestForward{
			{Addr: cfg.ServiceAddr, Command: []string{filepath.Join(bin, "vmstack"), "-relay", target.Addr().String()}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Kill()
	var res *Result
	defer func() {
		if res != nil {
			output.Write(res.Output)
		}
		t.Logf("guest output:\n%s", output.String())
	}()

	// The forward works (positive control) ...
	fwd := m.Addr(cfg.GuestPort)
	if got := waitGuestAnswer(t, m, "http://"+fwd+"/"); got != cfg.Answer {
		t.Errorf("GET through the forward %s = %q, want the guest's %q", fwd, got, cfg.Answer)
	}
	// ... and is on the host's loopback only.
	listening, err := listenAddrs(m.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{fwd}; !slices.Equal(listening, want) {
		t.Errorf("qemu listens on %q, want only %q", listening, want)
	}
	_, port, _ := net.SplitHostPort(fwd)
	for _, a := range cfg.HostAddrs {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(a, port), 3*time.Second); err == nil {
			c.Close()
			t.Errorf("the forward answers on the host's address %s:%s, want loopback only", a, port)
		}
	}

	if err := os.WriteFile(cfg.Stop, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = m.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || !strings.Contains(string(res.Output), "--- PASS: TestGuest_NetworkIsolation ") {
		t.Errorf("guest half exited %d without passing (output below)", res.ExitCode)
	}
	select {
	case got := <-echoed:
		if want := "guest " + cfg.Nonce; got != want {
			t.Errorf("the guestfwd target got %q back, want %q", got, want)
		}
	default:
		t.Errorf("the guestfwd target at %s was never reached from the guest", target.Addr())
	}
	if n := leaks.Load(); n > 0 {
		t.Errorf("host listeners the guest must not reach accepted %d connections", n)
	}
}

// waitGuestAnswer polls url on the host until the guest answers 200, and
// returns the body.
func waitGuestAnswer(t *testing.T, m *Machine, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(url); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(b)
			}
		}
		select {
		case <-m.Done():
			t.Fatal("the guest powered off before it served")
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatalf("no answer from the guest at %s within 2 minutes", url)
	return ""
}

// listenAddrs returns the TCP addresses process pid listens on, from its
// socket descriptors and the kernel's socket tables, IPv4 and IPv6.
func listenAddrs(pid int) ([]string, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if ino, ok := strings.CutPrefix(l, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(ino, "]")] = true
		}
	}
	var addrs []string
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A: LISTEN
				continue
			}
			a, err := parseProcAddr(f[1])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", table, err)
			}
			addrs = append(addrs, a)
		}
	}
	slices.Sort(addrs)
	return addrs, nil
}

// parseProcAddr turns /proc/net/tcp's "0100007F:1F40" into 127.0.0.1:8000.
// The address is in the kernel's byte order (little-endian on x86), in
// 32-bit words; the port is big-endian hex.
func parseProcAddr(s string) (string, error) {
	h, p, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(h)
	if !ok || err != nil || (len(raw) != 4 && len(raw) != 16) {
		return "", fmt.Errorf("bad address %q", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return "", fmt.Errorf("bad port in %q", s)
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		ip[i], ip[i+1], ip[i+2], ip[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(int(port))), nil
}

// hostIPv4s lists the host's non-loopback IPv4 addresses.
func hostIPv4s(t *testing.T) []string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var ips []string
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			ips = append(ips, n.IP.String())
		}
	}
	if len(ips) == 0 {
		t.Log("the host has no non-loopback IPv4 address: its own addresses go unchecked")
	}
	return ips
}

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestParseProcAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0100007F:1F40", "127.0.0.1:8000"},
		{"00000000:0050", "0.0.0.0:80"},
		{"00000000000000000000000001000000:1F40", "[::1]:8000"},
		{"00000000000000000000000000000000:0016", "[::]:22"},
	}
	for _, tt := range tests {
		if got, err := parseProcAddr(tt.in); err != nil || got != tt.want {
			t.Errorf("parseProcAddr(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"0100007F", "zz00007F:1F40", "0100007F:FFFFF"} {
		if got, err := parseProcAddr(bad); err == nil {
			t.Errorf("parseProcAddr(%q) = %q, want an error", bad, got)
		}
	}
}
