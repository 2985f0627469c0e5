package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/cmd/internal/stack"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// Backlog benchmarks: kioskd draining a queue of large profiles to verifyd
// over loopback, with the binaries built without -race (the race detector
// multiplies memory and CPU, and these numbers are about both).
//
//	go test -run '^$' -bench 'Drain' -benchtime 1x ./cmd/internal/e2e
//
// Each profile is ~400 KB sealed (two 200 KB photos of random bytes: as
// incompressible as JPEG). The queue is filled before kioskd starts, so
// what is timed is the drain alone: from starting kioskd to its /healthz
// reporting an empty queue.

const benchProfileBytes = 200 << 10 // per photo

var (
	benchBinOnce sync.Once
	benchBinDir  string
	benchBinErr  error
)

// benchBinaries builds kioskd and verifyd without -race, once.
func benchBinaries(b *testing.B) string {
	b.Helper()
	benchBinOnce.Do(func() {
		// Inside binDir, which TestMain removes at the end.
		benchBinDir = filepath.Join(binDir, "norace")
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(goBin, "build", "-o", benchBinDir+"/", "../../kioskd", "../../verifyd").CombinedOutput()
		if err != nil {
			benchBinErr = &buildError{out: string(out), err: err}
		}
	})
	if benchBinErr != nil {
		b.Fatal(benchBinErr)
	}
	return benchBinDir
}

// benchStack is a prepared deployment with verifyd running.
type benchStack struct {
	b       *testing.B
	s       *stack.Stack
	logs    *logBuffer
	verifyd *stack.Proc
	seal    func(p *api.Profile) ([]byte, error)
	put     func(ctx context.Context, id string, env []byte) error // plain net/http, as the device
}

func newBenchStack(b *testing.B, parallel int) *benchStack {
	b.Helper()
	bs := prepareBench(b, b.TempDir(), parallel)
	bs.startVerifyd()
	return bs
}

// prepareBench prepares a stack in dir (reusing what is there: keys,
// enrollment) with a fresh verifyd address.
func prepareBench(b *testing.B, dir string, parallel int) *benchStack {
	b.Helper()
	s, err := stack.Prepare(stack.Options{
		Dir: dir, Bin: benchBinaries(b),
		VerifydAddr: freeAddrB(b), KioskAddr: freeAddrB(b),
		Kioskd: map[string]string{
			"queue.parallel":  strconv.Itoa(parallel),
			"queue.max_items": "20000",
			"queue.max_mb":    "16384",
			// The simulated camera renders and encodes frames the whole
			// time; keep it from competing with the drain.
			"camera.fps": "2",
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	bs := &benchStack{b: b, s: s, logs: &logBuffer{}}
	bs.seal, bs.put = deviceCredentials(b, s)
	return bs
}

func (bs *benchStack) startVerifyd() {
	bs.b.Helper()
	var err error
	if bs.verifyd, err = bs.s.StartVerifyd(context.Background(), bs.logs); err != nil {
		bs.b.Fatal(err)
	}
	bs.b.Cleanup(func() { bs.verifyd.Kill() })
}

// twin is a second deployment with the same keys, the same enrolled
// kiosk and an empty store: a copy of bs's state made before anything was
// stored, with its own verifyd. Plain PUTs go there, so that both runs
// store the very same envelopes into an empty service.
func (bs *benchStack) twin() *benchStack {
	bs.b.Helper()
	dir := bs.b.TempDir()
	if out, err := exec.Command("cp", "-a", bs.s.Dir+"/.", dir).CombinedOutput(); err != nil {
		bs.b.Fatalf("copy the stack: %v\n%s", err, out)
	}
	tw := prepareBench(bs.b, dir, 1)
	tw.startVerifyd()
	return tw
}

func freeAddrB(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// sealN seals n profiles of ~400 KB for this stack's device.
func (bs *benchStack) sealN(n int) [][]byte {
	bs.b.Helper()
	out := make([][]byte, n)
	photo := make([]byte, benchProfileBytes)
	for i := range out {
		p := benchProfile(bs.b, bs.s.DeviceID, i, photo)
		env, err := bs.seal(p)
		if err != nil {
			bs.b.Fatal(err)
		}
		out[i] = env
	}
	return out
}

func benchProfile(b *testing.B, device string, i int, photo []byte) *api.Profile {
	p := &api.Profile{
		ID: uuid.NewString(), DeviceID: device, Created: time.Now().UTC(), Language: "en",
		Email: fmt.Sprintf("bench.%d@example.org", i), FullName: learnerName("Bench", i), IDType: api.IDPassport,
	}
	for _, k := range api.RequiredPhotos(false) {
		rand.Read(photo)
		jpeg := append(append([]byte{0xff, 0xd8}, photo...), 0xff, 0xd9)
		p.Photos = append(p.Photos, api.Photo{Kind: k, Width: 1280, Height: 960, Captured: p.Created, Source: "bench", JPEG: jpeg})
	}
	return p
}

// prefill writes envelopes into the kiosk's outbox while kioskd is down.
func (bs *benchStack) prefill(envs [][]byte) {
	bs.b.Helper()
	box, err := outbox.Open(bs.s.Path("kiosk", "outbox.db"), outbox.Options{MaxItems: 1 << 20, MaxBytes: 1 << 40})
	if err != nil {
		bs.b.Fatal(err)
	}
	defer box.Close()
	for _, env := range envs {
		if err := box.Put(context.Background(), outbox.NewItem{ID: envID(bs.b, env), Sealed: env}); err != nil {
			bs.b.Fatal(err)
		}
	}
}

// drainStats is what a drain measured.
type drainStats struct {
	took time.Duration
	// hwm is kioskd's peak resident set (VmHWM); anon and file are the
	// largest anonymous (Go heap, stacks) and file-backed (bbolt's mmap,
	// the binary) parts seen while sampling every 20 ms.
	hwm, anon, file int64
}

// drain starts kioskd on the prefilled queue and waits until it is empty.
func (bs *benchStack) drain(n int) drainStats {
	bs.b.Helper()
	start := time.Now()
	p, err := bs.s.StartKioskd(context.Background(), bs.logs)
	if err != nil {
		bs.b.Fatalf("%v\n%s", err, bs.logs)
	}
	defer p.Stop()
	pid := p.Pid()
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Minute)
	var ds drainStats
	for {
		st := procStatus(bs.b, pid)
		ds.anon, ds.file = max(ds.anon, st["RssAnon"]), max(ds.file, st["RssFile"])
		var h kioskStatus
		if resp, err := c.Get("http://" + bs.s.KioskAddr + "/healthz"); err == nil {
			decodeJSON(resp, &h)
			if h.Queue.Queued == 0 && h.Queue.Delivered >= n {
				break
			}
		}
		if time.Now().After(deadline) {
			bs.b.Fatalf("drain of %d profiles did not finish: %+v\n%s", n, h, bs.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ds.took = time.Since(start)
	ds.hwm = procStatus(bs.b, pid)["VmHWM"]
	return ds
}

// plainPUTs sends envs with plain net/http PUTs from workers goroutines,
// in order, and returns how long it took.
func (bs *benchStack) plainPUTs(envs [][]byte, workers int) time.Duration {
	bs.b.Helper()
	next := make(chan []byte)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for env := range next {
				if err := bs.put(context.Background(), envID(bs.b, env), env); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		}()
	}
	for _, env := range envs {
		next <- env
	}
	close(next)
	wg.Wait()
	took := time.Since(start)
	if firstErr != nil {
		bs.b.Fatal(firstErr)
	}
	return took
}

// BenchmarkDrain: kioskd's uploader drains 1000 queued profiles of ~400 KB
// to verifyd; beside it, plain net/http PUTs of the very same envelopes, as
// the same device, with the same number of requests in flight, to a twin
// verifyd (same keys and enrollment, its own empty store). The ratio is
// what the kiosk's own work costs: reading each envelope from bbolt, the
// fsync'd Ack transaction, the retry and ordering machinery.
func BenchmarkDrain(b *testing.B) {
	const n = 1000
	for _, par := range []int{1, 4} {
		b.Run(fmt.Sprintf("parallel-%d", par), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				bs := prepareBench(b, b.TempDir(), par)
				tw := bs.twin()
				bs.startVerifyd()
				queued := bs.sealN(n)
				bs.prefill(queued)
				b.StartTimer()
				plainTook := tw.plainPUTs(queued, par)
				kioskTook := bs.drain(n).took
				b.StopTimer()
				mb := float64(n*len(queued[0])) / (1 << 20)
				b.ReportMetric(float64(n)/kioskTook.Seconds(), "kiosk-profiles/s")
				b.ReportMetric(mb/kioskTook.Seconds(), "kiosk-MiB/s")
				b.ReportMetric(float64(n)/plainTook.Seconds(), "plain-profiles/s")
				b.ReportMetric(plainTook.Seconds()/kioskTook.Seconds(), "kiosk/plain-rate")
				b.ReportMetric(float64(len(queued[0]))/1024, "KiB/profile")
			}
		})
	}
}

// BenchmarkDrainRSS: kioskd's peak RSS (VmHWM) draining a backlog of 1000
// and of 5000 profiles of ~400 KB (0.4 and 2 GB). It must not grow with the
// backlog: at most queue.parallel envelopes are in memory at once.
func BenchmarkDrainRSS(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("backlog-%d", n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				bs := newBenchStack(b, 4)
				for done := 0; done < n; done += 500 {
					bs.prefill(bs.sealN(min(500, n-done))) // bounded memory in the benchmark too
				}
				b.StartTimer()
				ds := bs.drain(n)
				b.StopTimer()
				b.ReportMetric(float64(ds.hwm)/(1<<20), "peak-RSS-MiB")
				b.ReportMetric(float64(ds.anon)/(1<<20), "anon-MiB")
				b.ReportMetric(float64(ds.file)/(1<<20), "file-MiB")
				b.ReportMetric(float64(n)/ds.took.Seconds(), "profiles/s")
			}
		})
	}
}

// procStatus reads the kB fields of /proc/pid/status, in bytes.
func procStatus(b *testing.B, pid int) map[string]int64 {
	b.Helper()
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(st), "\n") {
		k, v, ok := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
		if err == nil {
			out[k] = kb << 10
		}
	}
	return out
}

func decodeJSON(resp *http.Response, v any) {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, v)
}

func envID(b *testing.B, env []byte) string {
	h, err := envelope.ParseHeader(env)
	if err != nil {
		b.Fatal(err)
	}
	return h.ProfileID
}
