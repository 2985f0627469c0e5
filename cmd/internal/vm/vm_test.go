package vm

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// One boot checks what every user of the harness relies on: Debian's
// kernel runs, the host root is visible, the run directory is writable from
// both sides, /tmp is the guest's own, modules load with their chain, a
// forwarded port reaches a guest server while nothing else on the host is
// reachable, and the exit status comes back.
func TestVM_BootRunForward(t *testing.T) {
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := TestRunDir(t)
	if err := os.MkdirAll(filepath.Join(dir, "www"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "www", "hello.txt"), []byte("hello from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	k, err := EnsureKernel(ctx, cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer host.Close()
	hostPort := host.URL[strings.LastIndexByte(host.URL, ':')+1:]
	script := strings.Join([]string{
		`set -e`,
		`uname -r > "$RUN/uname"`,
		`id -u > "$RUN/uid"`,
		`touch /tmp/guest-only`,
		`grep -c . /proc/modules > "$RUN/modules" || true`,
		`grep -q '^dummy ' /proc/modules && echo loaded > "$RUN/dummy"`,
		`busybox httpd -p 8000 -h "$RUN/www"`,
		// restrict=on: the host's own services are out of reach.
		`busybox wget -T 3 -q -O- "http://10.0.2.2:$HOSTPORT/" > /dev/null 2>&1 && echo reached > "$RUN/escaped" || true`,
		`i=0; while [ ! -e "$RUN/stop" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`,
		`echo done`,
		`exit 7`,
	}, "\n")
	var console bytes.Buffer
	m, err := Start(ctx, Options{
		Kernel: k, RunDir: dir,
		Modules: []Module{{Name: "dummy", Params: "numdummies=2"}},
		Command: []string{"/bin/sh", "-c", script},
		Env:     []string{"RUN=" + dir, "HOSTPORT=" + hostPort},
		Forward: []int{8000},
		Console: &console,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Kill()

	url := "http://" + m.Addr(8000) + "/hello.txt"
	var body string
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				body = string(b)
				break
			}
		}
		select {
		case <-m.Done():
			t.Fatalf("guest exited before serving; console:\n%s", console.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	if body != "hello from the host\n" {
		t.Errorf("GET %s through the forward = %q, want the host's file", url, body)
	}
	if err := os.WriteFile(filepath.Join(dir, "stop"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := m.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 7 || strings.TrimSpace(string(res.Output)) != "done" {
		t.Errorf("exit %d, output %q; want 7 and \"done\"", res.ExitCode, res.Output)
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return strings.TrimSpace(string(b))
	}
	if got := read("uname"); got != k.Version {
		t.Errorf("guest kernel %q, want Debian's %q", got, k.Version)
	}
	if got := read("uid"); got != "0" {
		t.Errorf("guest command uid %q, want 0", got)
	}
	if got := read("dummy"); got != "loaded" {
		t.Errorf("module dummy not loaded (modules: %s)", read("modules"))
	}
	if got := read("escaped"); got != "" {
		t.Errorf("the guest reached a host service at 10.0.2.2:%s despite restrict=on", hostPort)
	}
	if _, err := os.Stat("/tmp/guest-only"); err == nil {
		t.Errorf("the guest wrote into the host's /tmp")
	}
	if res.Boot <= 0 || res.Boot > time.Minute {
		t.Errorf("boot time %v, want a few seconds", res.Boot)
	}
	t.Logf("booted in %v", res.Boot)
}
