package previewbench

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/quality/qualitytest"
	"github.com/idkiosk/idkiosk/capture/whep/wheptest"
	"github.com/idkiosk/idkiosk/cmd/internal/stack"
	"github.com/idkiosk/idkiosk/kiosk-ui/browsertest"
)

// binDir holds kioskd and verifyd built for the benchmarks: without -race,
// as on a kiosk.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	if flag.Lookup("test.bench").Value.String() == "" {
		os.Exit(m.Run()) // benchmarks only: nothing to build for `go test`
	}
	dir, err := os.MkdirTemp("", "idkiosk-previewbench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(goBin, "build", "-o", dir+"/", "../../kioskd", "../../verifyd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build binaries:", err)
		os.Exit(1)
	}
	// kioskd's face detector reads pigo's cascade from beside the binary,
	// as make build puts it.
	if err := copyCascade(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func copyCascade(dir string) error {
	src, err := qualitytest.CascadePath()
	if err != nil {
		return fmt.Errorf("kioskd needs pigo's face cascade: %w", err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "facefinder"), b, 0o644)
}

const token = "bench-admin-0b7e4c1a9d3f5e2b8c6a0d4f7e1b3c5a"

type kiosk struct {
	kioskd   *stack.Proc
	adminURL string
	client   *http.Client
}

func freePort(b *testing.B, network string) int {
	b.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startKiosk runs verifyd and kioskd with the simulated camera at 640x480,
// 15 fps, and the admin listener on loopback.
func startKiosk(b *testing.B) *kiosk {
	b.Helper()
	sum := sha256.Sum256([]byte(token))
	admin := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(b, "tcp")))
	s, err := stack.Prepare(stack.Options{
		Dir: b.TempDir(), Bin: binDir,
		VerifydAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(b, "tcp"))),
		KioskAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(b, "tcp"))),
		Demo:        true,
		Kioskd: map[string]string{
			"camera.width": "640", "camera.height": "480", "camera.fps": "15",
			"admin.listen":       strconv.Quote(admin),
			"admin.tokens":       fmt.Sprintf(`["bench:10:%s"]`, hex.EncodeToString(sum[:])),
			"admin.ice_udp_port": strconv.Itoa(freePort(b, "udp")),
			"admin.ice_tcp_port": "0",
			"log.level":          `"warn"`,
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	logs, err := os.Create(filepath.Join(b.TempDir(), "logs"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if b.Failed() {
			out, _ := os.ReadFile(logs.Name())
			b.Logf("process logs:\n%s", out)
		}
		logs.Close()
	})
	v, err := s.StartVerifyd(context.Background(), logs)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Kill() })
	k, err := s.StartKioskd(context.Background(), logs)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { k.Kill() })
	// A camera at its rest scene: what an admin checking in usually sees.
	post, _ := http.NewRequest(http.MethodPost, "http://"+s.KioskAddr+"/api/demo/scene", strings.NewReader(`{"scene":"face"}`))
	post.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(post); err == nil {
		resp.Body.Close()
	}
	return &kiosk{kioskd: k, adminURL: "https://" + admin,
		client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}}
}

// watchers starts n pion viewers and waits until each has frames.
func (k *kiosk) watchers(b *testing.B, n int) []*wheptest.Viewer {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var vs []*wheptest.Viewer
	for range n {
		v, err := wheptest.Watch(ctx, k.client, k.adminURL+"/whep", token)
		if err != nil {
			b.Fatal(err)
		}
		vs = append(vs, v)
		b.Cleanup(func() { v.Delete(context.Background()) })
	}
	for _, v := range vs {
		if err := v.WaitFrames(ctx, 15); err != nil {
			b.Fatal(err)
		}
	}
	return vs
}

// BenchmarkFirstFrame is the time from the admin page posting its WHEP
// offer to Chromium's first decoded frame, on loopback, median of 10:
// with nobody else watching (the encoder starts with the session), and
// with a viewer already there (the encoder runs; the new viewer gets a
// keyframe forced the moment its connection is up).
func BenchmarkFirstFrame(b *testing.B) {
	for _, busy := range []bool{false, true} {
		name := "idle"
		if busy {
			name = "busy"
		}
		b.Run(name, func(b *testing.B) {
			k := startKiosk(b)
			if busy {
				k.watchers(b, 1)
			}
			br := browsertest.NewBrowser(b)
			for range b.N {
				br.WatchAdmin(k.adminURL+"/", token)
				var ms []float64
				for i := range 10 {
					if i > 0 {
						br.Run(browsertest.Click("start"), browsertest.Visible(`body[data-state="watching"]`))
					}
					ms = append(ms, float64(br.AdminVideo().FirstFrame.Milliseconds()))
					br.Run(browsertest.Click("stop"), browsertest.Visible(`body[data-state="stopped"]`))
				}
				slices.Sort(ms)
				b.ReportMetric((ms[4]+ms[5])/2, "ms-median")
				b.ReportMetric(ms[0], "ms-min")
				b.ReportMetric(ms[9], "ms-max")
			}
		})
	}
}

// BenchmarkKioskdLoad is kioskd's CPU (percent of one core) and resident
// memory over 10 s of the simulated camera at 640x480, 15 fps, with 0, 1
// and 5 viewers of the live preview (pion clients in this process).
func BenchmarkKioskdLoad(b *testing.B) {
	for _, n := range []int{0, 1, 5} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) {
			k := startKiosk(b)
			k.watchers(b, n)
			pid := k.kioskd.Pid()
			for range b.N {
				t0, c0 := time.Now(), cpuTicks(b, pid)
				time.Sleep(10 * time.Second)
				t1, c1 := time.Now(), cpuTicks(b, pid)
				b.ReportMetric(float64(c1-c0)/ticksPerSecond/t1.Sub(t0).Seconds()*100, "cpu-%")
				b.ReportMetric(rssMB(b, pid), "rss-MB")
			}
		})
	}
}

// ticksPerSecond is USER_HZ, 100 on every Linux this runs on.
const ticksPerSecond = 100

// cpuTicks is the process's user+system time from /proc/<pid>/stat.
func cpuTicks(b *testing.B, pid int) int64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the ")" that ends the command name: utime is the 12th,
	// stime the 13th (fields 14 and 15 of proc(5)).
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+2:])
	f := strings.Fields(rest)
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

func rssMB(b *testing.B, pid int) float64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
