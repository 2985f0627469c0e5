package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/stack"
	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
)

// faultConfig is kioskd's config for fault tests: quick retries, a 1 s
// request timeout (so "slow headers" is slow) and no cradle settle time.
func faultConfig(serviceURL string) map[string]string {
	return map[string]string{
		"service.url":         strconv.Quote(serviceURL),
		"service.min_backoff": `"200ms"`,
		"service.max_backoff": `"1s"`,
		"service.timeout":     `"1s"`,
		"cradle.settle":       `"0s"`,
	}
}

// kioskStatus is the part of kioskd's /healthz these tests read.
type kioskStatus struct {
	Status string `json:"status"`
	Queue  struct {
		Queued, Dead, Delivered int
	} `json:"queue"`
	Upload struct {
		LastError string `json:"last_error"`
	} `json:"upload"`
	Alerts []struct {
		Code   string `json:"code"`
		Count  int    `json:"count"`
		Detail string `json:"detail"`
	} `json:"alerts"`
}

func (e *env) status() kioskStatus {
	e.t.Helper()
	var h kioskStatus
	e.getJSON(e.kioskURL()+"/healthz", "", &h)
	return h
}

func (h kioskStatus) alert(code string) bool {
	return slices.ContainsFunc(h.Alerts, func(a struct {
		Code   string `json:"code"`
		Count  int    `json:"count"`
		Detail string `json:"detail"`
	}) bool {
		return a.Code == code
	})
}

// with returns the env for use inside subtest t.
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// learners completes n profiles through l and returns their references.
func (e *env) learners(l *learner, prefix string, n int) []string {
	e.t.Helper()
	var refs []string
	for i := range n {
		a := &attempt{Name: learnerName(prefix, i), Email: fmt.Sprintf("%s.%d@example.org", strings.ToLower(strings.ReplaceAll(prefix, " ", "")), i)}
		if err := l.complete(a); err != nil || a.Outcome != confirmed {
			e.t.Fatalf("learner %s: %v (outcome %d, message %v)", a.Name, err, a.Outcome, a.Message)
		}
		refs = append(refs, a.Ref)
	}
	return refs
}

// deliveredOnce waits until the service holds every profile in refs and
// the kiosk's queue is empty, then checks that each was stored exactly
// once and that the service holds want profiles in all (so nothing
// arrived twice under another id).
func (e *env) deliveredOnce(refs []string, want int) {
	e.t.Helper()
	got := e.arrived(refs...)
	e.eventually("the kiosk's queue to drain", func() bool {
		h := e.status()
		return h.Queue.Queued == 0 && h.Queue.Dead == 0
	})
	for _, ref := range refs {
		if s := got[ref]; s.Stores != 1 {
			e.t.Errorf("profile %s stored %d times, want exactly once", ref, s.Stores)
		}
	}
	if n := len(e.received()); n != want {
		e.t.Errorf("the service holds %d profiles, want %d", n, want)
	}
}

// TestFaultMatrix: kioskd delivers through a faulty server. In every case
// two learners complete profiles while the fault is on, the test checks the
// fault was really met, and each case ends with every profile stored by the
// service exactly once and the kiosk's queue empty.
//
// 413 and 422 are permanent by the contract, so there "delivered exactly
// once" means: both profiles are dead-lettered with the reason and a staff
// alert, nothing reaches the service; then, the fault removed, staff run
// `kioskctl queue retry-dead -all` and each is delivered once.
func TestFaultMatrix(t *testing.T) {
	proxyAddr := freeAddr(t)
	e := newEnv(t, faultConfig("https://"+proxyAddr))
	e.startVerifyd()
	p := newFaultProxy(t, proxyAddr, e.s)
	p.up()
	e.startKioskd()
	l := newLearner(e.s.KioskAddr)
	total := 0

	t.Run("connection refused", func(t *testing.T) {
		e := e.with(t)
		p.down()
		refs := e.learners(l, "Refused", 2)
		e.eventually("a refused connection", func() bool {
			return strings.Contains(e.status().Upload.LastError, "connection refused")
		})
		if h := e.status(); h.Queue.Queued != 2 {
			t.Errorf("with the service unreachable %d profiles queued, want 2", h.Queue.Queued)
		}
		p.up()
		total += len(refs)
		e.deliveredOnce(refs, total)
	})

	transient := []struct {
		name string
		f    fault
	}{
		{"reset mid-body", fault{Kind: faultReset, Times: 2}},
		{"lost acknowledgement", fault{Kind: faultLostAck, Times: 2}},
		{"slow headers", fault{Kind: faultSlow, Times: 2, Delay: 2500 * time.Millisecond}},
		{"truncated response", fault{Kind: faultTruncated, Times: 2}},
		{"500", statusFault(500, 2)},
		{"429", fault{Kind: faultStatus, Status: 429, RetryAfter: "1", Times: 2}},
		// 409 is "this id is in flight" in the contract: worth a retry.
		{"409", fault{Kind: faultStatus, Status: 409, RetryAfter: "1", Times: 2}},
	}
	for i, tt := range transient {
		t.Run(tt.name, func(t *testing.T) {
			e := e.with(t)
			p.set(tt.f)
			refs := e.learners(l, learnerName("Case", i), 2)
			e.eventually(fmt.Sprintf("%d faulted PUTs", tt.f.Times), func() bool { hits, _ := p.counts(); return hits >= tt.f.Times })
			total += len(refs)
			e.deliveredOnce(refs, total)
		})
	}

	t.Run("503 with Retry-After 86400", func(t *testing.T) {
		e := e.with(t)
		p.set(fault{Kind: faultStatus, Status: 503, RetryAfter: "86400"})
		refs := e.learners(l, "Unavailable", 2)
		var head control.QueueItem
		e.eventually("a deferred profile", func() bool {
			var l control.QueueList
			if err := json.Unmarshal([]byte(e.mustKioskctl("list", "-json")), &l); err != nil {
				t.Fatal(err)
			}
			if len(l.Queued) == 0 || l.Queued[0].Attempts == 0 {
				return false
			}
			head = l.Queued[0]
			return true
		})
		// max_backoff is 1 s: a day's wait must have been capped to it.
		if wait := time.Until(head.NextAttempt); wait > 2*time.Second {
			t.Errorf("next attempt in %v after a Retry-After of a day, want it capped at service.max_backoff (1s)", wait)
		}
		p.set(fault{})
		total += len(refs)
		e.deliveredOnce(refs, total)
	})

	for _, code := range []int{413, 422} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			e := e.with(t)
			p.set(statusFault(code, 0))
			refs := e.learners(l, "Refused "+[]string{"Qa", "Qb"}[code%2], 2)
			e.eventually("both profiles dead-lettered", func() bool { return e.status().Queue.Dead == 2 })
			h := e.status()
			if !h.alert("dead_letters") || h.Status != "degraded" {
				t.Errorf("/healthz with 2 dead letters: status %s alerts %+v, want degraded with dead_letters", h.Status, h.Alerts)
			}
			list := e.mustKioskctl("list")
			for _, ref := range refs {
				if !strings.Contains(list, ref) {
					t.Errorf("kioskctl queue list does not show dead letter %s:\n%s", ref, list)
				}
			}
			if !strings.Contains(list, "service answered "+strconv.Itoa(code)) {
				t.Errorf("kioskctl queue list does not give the reason (%d):\n%s", code, list)
			}
			export := filepath.Join(t.TempDir(), "dead.tar")
			if out := e.mustKioskctl("export-dead", "-o", export); !strings.Contains(out, "exported 2") {
				t.Errorf("export-dead: %s", out)
			}
			for _, s := range e.received() {
				if slices.Contains(refs, s.Reference) {
					t.Errorf("dead-lettered profile %s reached the service", s.Reference)
				}
			}

			p.set(fault{}) // the service is fixed
			if out := e.mustKioskctl("retry-dead", "-all"); !strings.Contains(out, "requeued 2") {
				t.Errorf("retry-dead -all: %s", out)
			}
			total += len(refs)
			e.deliveredOnce(refs, total)
			if h := e.status(); h.alert("dead_letters") {
				t.Errorf("dead_letters alert still up after the retry: %+v", h.Alerts)
			}
		})
	}
	e.stop(e.kioskd)
}

// TestFaultMatrix_TLSCertificate: the kiosk meets a server whose
// certificate does not verify: valid for the address, but from another CA
// than the one the kiosk pinned at enrollment (a captive portal, an
// intercepting proxy). It must not deliver to it, must not dead-letter
// anything either (the network's fault, not the profile's), and delivers
// each profile once when the service's certificate is back.
func TestFaultMatrix_TLSCertificate(t *testing.T) {
	bad := testCert(t, "portal CA")
	proxyAddr := freeAddr(t)
	e := newEnv(t, faultConfig("https://"+proxyAddr))
	e.startVerifyd()
	p := newFaultProxy(t, proxyAddr, e.s)
	p.useCert(&bad)
	p.up()
	e.startKioskd()

	refs := e.learners(newLearner(e.s.KioskAddr), "Portal", 2)
	e.eventually("a certificate the kiosk refused", func() bool {
		return strings.Contains(e.status().Upload.LastError, "certificate")
	})
	if h := e.status(); h.Queue.Queued != 2 || h.Queue.Dead != 0 || len(e.received()) != 0 {
		t.Fatalf("with a bad certificate: %d queued, %d dead, %d at the service; want 2, 0, 0", h.Queue.Queued, h.Queue.Dead, len(e.received()))
	}
	p.useCert(nil)
	e.deliveredOnce(refs, 2)
	e.stop(e.kioskd)
}

// TestFaultMatrix_DNS: the service's name does not resolve (no network
// yet, a DNS outage); once it does, each queued profile is delivered once.
// kioskd runs in its own mount namespace with its own /etc/hosts and a
// resolv.conf pointing at a closed port, so the host's files are never
// touched. Needs root.
func TestFaultMatrix_DNS(t *testing.T) {
	skipUnlessRoot(t, "the DNS fault test (a mount namespace for kioskd's /etc/hosts)")
	dir := t.TempDir()
	hosts, resolv := filepath.Join(dir, "hosts"), filepath.Join(dir, "resolv.conf")
	os.WriteFile(hosts, []byte("127.0.0.1 localhost\n"), 0o644)
	os.WriteFile(resolv, []byte("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"), 0o644)
	bin := nsWrapper(t, hosts, resolv)

	verifydAddr := freeAddr(t)
	_, port, _ := strings.Cut(verifydAddr, ":")
	e := newEnvIn(t, bin, verifydAddr, faultConfig("https://verifyd.e2e.test:"+port), "verifyd.e2e.test")
	e.startVerifyd()
	e.startKioskd()

	refs := e.learners(newLearner(e.s.KioskAddr), "Offline", 2)
	e.eventually("a failed name lookup", func() bool {
		err := e.status().Upload.LastError
		return strings.Contains(err, "lookup verifyd.e2e.test")
	})
	if h := e.status(); h.Queue.Queued != 2 || h.Queue.Dead != 0 {
		t.Fatalf("with DNS down: %d queued, %d dead; want 2 and 0", h.Queue.Queued, h.Queue.Dead)
	}
	// Rewrite in place: the bind mount follows the inode.
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n127.0.0.1 verifyd.e2e.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.deliveredOnce(refs, 2)
	e.stop(e.kioskd)
}

// nsWrapper returns a bin directory whose kioskd runs the real one in a
// private mount namespace with hosts and resolv bind-mounted over
// /etc/hosts and /etc/resolv.conf (verifyd is the real one).
func nsWrapper(t *testing.T, hosts, resolv string) string {
	t.Helper()
	bin := t.TempDir()
	script := fmt.Sprintf(`#!/bin/sh
exec unshare --mount --propagation private /bin/sh -c 'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && r="$3" && shift 3 && exec "$r" "$@"' wrapper %q %q %q "$@"
`, hosts, resolv, filepath.Join(binDir, "kioskd"))
	if err := os.WriteFile(filepath.Join(bin, "kioskd"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(binDir, "verifyd"), filepath.Join(bin, "verifyd")); err != nil {
		t.Fatal(err)
	}
	return bin
}

// newEnvIn is newEnv with kioskd and verifyd from bin, verifyd on
// verifydAddr and its certificate also valid for hosts.
func newEnvIn(t *testing.T, bin, verifydAddr string, kioskd map[string]string, hosts ...string) *env {
	t.Helper()
	s, err := stack.Prepare(stack.Options{
		Dir: t.TempDir(), Bin: bin,
		VerifydAddr: verifydAddr, KioskAddr: freeAddr(t),
		Accounts:     []string{"learner@example.com"},
		ServiceHosts: hosts,
		Kioskd:       kioskd,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, s: s, logs: &logBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs:\n%s", e.logs)
		}
	})
	return e
}
