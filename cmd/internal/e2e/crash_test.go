package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/sync/outbox"
)

// TestCrash_KillNineUnderLoad runs kioskd under a generator of learners
// and a faulty service (half the PUTs reset, answered 500/503, truncated,
// or stored and then dropped), and kills it with SIGKILL: at random times
// at least 100 times, then once at each named failpoint. Afterwards, with
// the faults removed, the queue must drain and:
//
//   - every profile whose receipt the UI showed is at the service exactly
//     once (stored once, under one id);
//   - the service holds nothing else but profiles whose "submit" was sent
//     and whose answer the kill cut off ("in doubt": the learner was never
//     told "saved", so either way is correct), each once;
//   - the outbox is empty.
//
// At after-commit-before-answer the in-doubt profile must arrive (it was
// committed); at after-seal it must not (it never was).
func TestCrash_KillNineUnderLoad(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 1))

	proxyAddr := freeAddr(t)
	cfg := faultConfig("https://" + proxyAddr)
	cfg["service.min_backoff"] = `"100ms"`
	cfg["service.max_backoff"] = `"500ms"`
	cfg["queue.compact_min_mb"] = "1" // so compaction happens, and is killed too
	// Small, fast frames: a learner completes a profile in ~0.5 s, and the
	// quality checks still pass on the simulated scenes.
	cfg["camera.width"], cfg["camera.height"], cfg["camera.fps"] = "320", "240", "30"
	e := newEnv(t, cfg)
	e.startVerifyd()
	p := newFaultProxy(t, proxyAddr, e.s)
	p.set(fault{Kind: faultChaos})
	p.up()

	c := &crashRun{e: e}
	const randomKills = 100
	for range randomKills {
		// Not sleep-and-hope: the kill lands at a random moment on
		// purpose, anywhere from kioskd's start to the middle of its
		// second or third learner.
		c.cycle("", func() { time.Sleep(time.Duration(rnd.IntN(1500)) * time.Millisecond) })
	}

	// Named points: kioskd kills itself there.
	for _, point := range []string{"after-seal", "after-commit-before-answer", "after-send-before-answer", "after-2xx-before-delete"} {
		last := c.cycle(point, nil)
		switch point {
		case "after-seal":
			c.mustNotArrive = append(c.mustNotArrive, last...)
		case "after-commit-before-answer":
			c.mustArrive = append(c.mustArrive, last...)
		}
	}
	// mid-compaction needs a grown file and an empty queue: fill the queue
	// with the service unreachable, then let it drain.
	p.down()
	c.cycle("mid-compaction", func() {
		e.eventually("the queue file to grow past 1.5 MB", func() bool {
			fi, err := os.Stat(e.s.Path("kiosk", "outbox.db"))
			return err == nil && fi.Size() > 3<<19
		})
		c.stopGenerating()
		p.up()
	})

	// The faults end; the kiosk drains what it holds.
	p.set(fault{})
	e.startKioskd()
	e.eventually("the queue to drain", func() bool {
		h := e.status()
		return h.Queue.Queued == 0 && h.Queue.Dead == 0
	})
	e.stop(e.kioskd)
	c.check(t)

	box, err := outbox.Open(filepath.Join(e.s.Path("kiosk"), "outbox.db"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	if st, _ := box.Stats(); st.Queued != 0 || st.Dead != 0 {
		t.Errorf("outbox after the run: %d queued, %d dead; want empty", st.Queued, st.Dead)
	}
	t.Logf("%d kills (%d at random), %d profiles confirmed, %d in doubt, %d compactions",
		c.kills, randomKills, c.count(confirmed), c.count(inDoubt), strings.Count(e.logs.String(), `"msg":"outbox compacted"`))
}

// crashRun is the crash test's bookkeeping.
type crashRun struct {
	e     *env
	kills int

	mu            sync.Mutex
	attempts      []*attempt
	next          int
	stop          chan struct{}
	mustArrive    []*attempt
	mustNotArrive []*attempt
}

// cycle starts kioskd (with the failpoint armed, if any), runs learners
// against it, and ends it: with SIGKILL after wait returns, or, with a
// failpoint, by waiting for kioskd to kill itself. It returns the attempts
// in doubt when it died.
func (c *crashRun) cycle(failpoint string, wait func()) []*attempt {
	e := c.e
	e.t.Helper()
	c.stop = make(chan struct{})
	if !c.start(failpoint) {
		// Killed by its failpoint before it answered /healthz: the
		// uploader met the point on its first PUT.
		c.kills++
		return nil
	}
	done := make(chan []*attempt, 1)
	go func() { done <- c.generate() }()

	if wait != nil {
		wait()
	}
	if failpoint == "" {
		e.kioskd.Kill()
	} else {
		select {
		case <-e.kioskd.Done():
		case <-time.After(30 * time.Second):
			e.t.Errorf("failpoint %s was never reached", failpoint)
			e.kioskd.Kill()
		}
		if !c.reported(failpoint) {
			e.t.Errorf("kioskd exited at failpoint %s without reporting it", failpoint)
		}
	}
	c.stopGenerating()
	mine := <-done
	c.kills++
	var doubt []*attempt
	for _, a := range mine {
		if a.Outcome == inDoubt {
			doubt = append(doubt, a)
		}
	}
	return doubt
}

// start runs kioskd with the failpoint armed (if any). It reports false
// when kioskd killed itself at the failpoint before it was ready.
func (c *crashRun) start(failpoint string) bool {
	e := c.e
	e.t.Helper()
	if failpoint == "" {
		e.startKioskd()
		return true
	}
	os.Setenv("IDKIOSK_FAILPOINT", failpoint)
	defer os.Unsetenv("IDKIOSK_FAILPOINT")
	p, err := e.s.StartKioskd(context.Background(), e.logs)
	if err != nil {
		if !c.reported(failpoint) {
			e.t.Fatal(err)
		}
		return false
	}
	e.kioskd = p
	e.t.Cleanup(func() { p.Kill() })
	return true
}

func (c *crashRun) reported(failpoint string) bool {
	return strings.Contains(c.e.logs.String(), fmt.Sprintf(`"msg":"failpoint reached: SIGKILL","point":%q`, failpoint))
}

func (c *crashRun) stopGenerating() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
}

// generate runs learners one after another until the kiosk stops
// answering or stop is closed, and returns their attempts.
func (c *crashRun) generate() []*attempt {
	l := newLearner(c.e.s.KioskAddr)
	var mine []*attempt
	for {
		select {
		case <-c.stop:
			return mine
		default:
		}
		c.mu.Lock()
		n := c.next
		c.next++
		a := &attempt{Name: learnerName("Crash", n), Email: fmt.Sprintf("crash.%d@example.org", n)}
		c.attempts = append(c.attempts, a)
		c.mu.Unlock()
		mine = append(mine, a)
		if err := l.complete(a); err != nil {
			if !errors.Is(err, errKioskGone) {
				// A learner cut off mid-request sees odd answers; the
				// outcome recorded so far is what counts.
				c.e.t.Logf("learner %s: %v", a.Name, err)
			}
			return mine
		}
	}
}

func (c *crashRun) count(o outcome) int {
	n := 0
	for _, a := range c.attempts {
		if a.Outcome == o {
			n++
		}
	}
	return n
}

// check compares what the service holds with what the learners were told.
func (c *crashRun) check(t *testing.T) {
	e := c.e
	byName := map[string]*attempt{}
	for _, a := range c.attempts {
		byName[a.Name] = a
	}
	held := map[string]int{} // full name -> profiles the service holds under it
	for _, s := range e.received() {
		p := e.profile(s.ID)
		held[p.FullName]++
		a, ok := byName[p.FullName]
		switch {
		case !ok:
			t.Errorf("the service holds %s (%q), which no learner submitted", s.Reference, p.FullName)
		case a.Outcome == notSubmitted:
			t.Errorf("the service holds %q, which was never submitted", p.FullName)
		case a.Outcome == confirmed && a.Ref != s.Reference:
			t.Errorf("%q: the service holds reference %s, the receipt said %s", p.FullName, s.Reference, a.Ref)
		}
		if s.Stores != 1 {
			t.Errorf("profile %s (%q) stored %d times, want once", s.Reference, p.FullName, s.Stores)
		}
	}
	for name, n := range held {
		if n > 1 {
			t.Errorf("the service holds %d profiles for %q, want one", n, name)
		}
	}
	for _, a := range c.attempts {
		if a.Outcome == confirmed && held[a.Name] == 0 {
			t.Errorf("confirmed profile %s (%q) never reached the service", a.Ref, a.Name)
		}
	}
	for _, a := range c.mustArrive {
		if held[a.Name] == 0 {
			t.Errorf("%q was committed before the kill at after-commit-before-answer but never arrived", a.Name)
		}
	}
	for _, a := range c.mustNotArrive {
		if held[a.Name] != 0 {
			t.Errorf("%q was only sealed when killed at after-seal, yet it arrived", a.Name)
		}
	}
	if len(c.mustArrive) == 0 || len(c.mustNotArrive) == 0 {
		t.Errorf("the save-path failpoints left %d and %d profiles in doubt, want one each", len(c.mustArrive), len(c.mustNotArrive))
	}
	if n := c.count(confirmed); n < 50 {
		t.Errorf("only %d profiles confirmed over the whole run; the generator is not exercising the kiosk", n)
	}
}
