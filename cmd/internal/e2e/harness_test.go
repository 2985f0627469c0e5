package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/stack"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/service"
)

// binDir holds kioskd and verifyd, built once for the whole package.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "idkiosk-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(goBin, "build", "-race", "-o", dir+"/", "../../kioskd", "../../verifyd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build binaries:", err)
		os.Exit(1)
	}
	if err := copyCascade(dir); err != nil { // quality_test.go
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freeAddr returns a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// logBuffer collects both processes' output; exec copies each process's
// pipe from its own goroutine, so writes must be serialised.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// env is one deployment under test.
type env struct {
	t       *testing.T
	s       *stack.Stack
	logs    *logBuffer
	verifyd *stack.Proc
	kioskd  *stack.Proc
}

// fastRetries makes the uploader retry within a second, so tests that
// stop the service do not wait minutes for the next attempt.
var fastRetries = map[string]string{"service.min_backoff": `"200ms"`, "service.max_backoff": `"1s"`}

func newEnv(t *testing.T, kioskd map[string]string) *env {
	t.Helper()
	s, err := stack.Prepare(stack.Options{
		Dir: t.TempDir(), Bin: binDir,
		VerifydAddr: freeAddr(t), KioskAddr: freeAddr(t),
		Demo:     true,
		Accounts: []string{"learner@example.com"},
		Kioskd:   kioskd,
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

func (e *env) startVerifyd() {
	e.t.Helper()
	p, err := e.s.StartVerifyd(context.Background(), e.logs)
	if err != nil {
		e.t.Fatal(err)
	}
	e.verifyd = p
	e.t.Cleanup(func() { p.Kill() })
}

func (e *env) startKioskd() {
	e.t.Helper()
	p, err := e.s.StartKioskd(context.Background(), e.logs)
	if err != nil {
		e.t.Fatal(err)
	}
	e.kioskd = p
	e.t.Cleanup(func() { p.Kill() })
}

// stop sends SIGTERM and requires a clean exit (status 0).
func (e *env) stop(p *stack.Proc) {
	e.t.Helper()
	if err := p.Stop(); err != nil {
		e.t.Fatalf("%s did not stop cleanly on SIGTERM: %v", p.Name, err)
	}
}

func (e *env) kioskURL() string { return "http://" + e.s.KioskAddr }

// --- the kiosk's page API, for tests that do not need the browser ---

// do applies one learner action the way the page does.
func (e *env) do(a session.Action) session.State {
	e.t.Helper()
	st, code := e.tryDo(a)
	if code != http.StatusOK {
		e.t.Fatalf("action %s: status %d (step %s, message %+v)", a.Type, code, st.Step, st.Message)
	}
	return st
}

func (e *env) tryDo(a session.Action) (session.State, int) {
	e.t.Helper()
	body, _ := json.Marshal(a)
	resp := e.post("/api/action", body)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		var st session.State
		if err := json.Unmarshal(raw, &st); err != nil {
			e.t.Fatalf("action %s: decode state: %v", a.Type, err)
		}
		return st, resp.StatusCode
	}
	// Refusals are problem documents that carry the state.
	var p struct {
		State *session.State `json:"state"`
	}
	json.Unmarshal(raw, &p)
	if p.State != nil {
		return *p.State, resp.StatusCode
	}
	return session.State{}, resp.StatusCode
}

func (e *env) post(path string, body []byte) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.kioskURL()+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	return resp
}

func (e *env) state() session.State {
	e.t.Helper()
	var st session.State
	e.getJSON(e.kioskURL()+"/api/state", "", &st)
	return st
}

func (e *env) cradle(present bool) {
	e.t.Helper()
	resp := e.post("/api/demo/cradle", fmt.Appendf(nil, `{"present":%t}`, present))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("demo cradle: status %d", resp.StatusCode)
	}
}

// waitState polls the kiosk until cond holds.
func (e *env) waitState(what string, cond func(session.State) bool) session.State {
	e.t.Helper()
	var st session.State
	e.eventually(what, func() bool { st = e.state(); return cond(st) })
	return st
}

// eventually polls cond every 50 ms for up to 30 s. Waiting on a condition,
// never a fixed sleep: on a fast machine it returns at once.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// completed is what a test keeps from one completed profile.
type completed struct {
	Ref        string // the receipt's reference code
	FaceMarker []byte // 32 bytes from the middle of the face photo's JPEG
}

// completeProfile walks the flow through the page API with the simulated
// cradle, as a learner would with the page.
func (e *env) completeProfile(email, name string, twoSided bool) completed {
	e.t.Helper()
	e.walkToReview(email, name, twoSided)
	face := e.photo("face")
	marker := bytes.Clone(face[len(face)/2 : len(face)/2+32])
	e.do(session.Action{Type: session.ActSubmit})
	st := e.waitState("receipt", func(s session.State) bool {
		return s.Step == session.StepReceipt || (s.Step == session.StepReview && s.Message != nil)
	})
	if st.Receipt == nil {
		e.t.Fatalf("submit ended on %s with message %+v", st.Step, st.Message)
	}
	e.do(session.Action{Type: session.ActFinish})
	e.cradle(false)
	return completed{Ref: st.Receipt.Reference, FaceMarker: marker}
}

// walkToReview fills in everything and takes every photo, up to the
// review screen.
func (e *env) walkToReview(email, name string, twoSided bool) {
	e.t.Helper()
	e.do(session.Action{Type: session.ActStart})
	e.do(session.Action{Type: session.ActConsentAccept})
	e.do(session.Action{Type: session.ActEmailSubmit, Email: email})
	// The account lookup runs in the background (or fails fast offline).
	st := e.waitState("email checked", func(s session.State) bool { return !s.Checking })
	if st.Step == session.StepEmail && st.Account == session.AccountNone {
		e.do(session.Action{Type: session.ActEmailContinue})
	}
	e.do(session.Action{Type: session.ActNameSubmit, Name: name})
	e.do(session.Action{Type: session.ActIDTypeSubmit, IDType: "passport", TwoSided: twoSided})
	e.capture(session.StepFace, false)
	e.capture(session.StepIDPhoto, true)
	if twoSided {
		e.capture(session.StepIDName, true)
	}
	e.waitState("review", func(s session.State) bool { return s.Step == session.StepReview })
}

// photo fetches one of the session's photos from the page's endpoint.
func (e *env) photo(kind string) []byte {
	e.t.Helper()
	resp, err := http.Get(e.kioskURL() + "/api/photos/" + kind + ".jpg")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || len(b) < 1000 {
		e.t.Fatalf("photo %s: status %d, %d bytes", kind, resp.StatusCode, len(b))
	}
	return b
}

// capture takes the photo of one step: by placing the card in the cradle
// (the session captures on its own) or with the capture button.
func (e *env) capture(step session.Step, cradle bool) {
	e.t.Helper()
	e.waitState(string(step), func(s session.State) bool { return s.Step == step && !s.Capturing })
	if cradle {
		e.cradle(false)
		e.cradle(true)
	}
	// Otherwise kioskd takes the photo by itself once every check holds
	// (auto-capture); the button comes only after quality.manual_after.
	e.waitState(string(step)+" photo taken", func(s session.State) bool { return s.Pending != nil && !s.Capturing })
	e.do(session.Action{Type: session.ActAcceptPhoto})
}

// --- the service's review API ---

func (e *env) getJSON(url, password string, v any) int {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if password != "" {
		req.SetBasicAuth("reviewer", password)
	}
	resp, err := e.s.HTTPClient().Do(req) // trusts verifyd's CA
	if err != nil {
		e.t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			e.t.Fatalf("GET %s: decode: %v", url, err)
		}
	}
	return resp.StatusCode
}

func (e *env) received() []service.ReviewSummary {
	e.t.Helper()
	var list []service.ReviewSummary
	if code := e.getJSON(e.s.ServiceURL()+"/review/api/profiles", e.s.ReviewPassword, &list); code != http.StatusOK {
		e.t.Fatalf("review list: status %d", code)
	}
	return list
}

// arrived waits until the service holds a profile with each reference code
// and returns them by reference.
func (e *env) arrived(refs ...string) map[string]service.ReviewSummary {
	e.t.Helper()
	got := map[string]service.ReviewSummary{}
	e.eventually(fmt.Sprintf("profiles %s at the service", strings.Join(refs, ", ")), func() bool {
		clear(got)
		for _, p := range e.received() {
			got[p.Reference] = p
		}
		for _, r := range refs {
			if _, ok := got[r]; !ok {
				return false
			}
		}
		return true
	})
	return got
}

func (e *env) profile(id string) service.ReviewProfile {
	e.t.Helper()
	var p service.ReviewProfile
	if code := e.getJSON(e.s.ServiceURL()+"/review/api/profiles/"+id, e.s.ReviewPassword, &p); code != http.StatusOK {
		e.t.Fatalf("review profile %s: status %d", id, code)
	}
	return p
}

// checkPhotos checks what the service holds of a profile's photos: the
// ones the flow requires, in order, each a 640x480 JPEG that says so, from
// source (any when empty).
func checkPhotos(t *testing.T, p service.ReviewProfile, twoSided bool, source string) {
	t.Helper()
	var kinds []api.PhotoKind
	for _, ph := range p.Photos {
		kinds = append(kinds, ph.Kind)
		img, err := jpeg.Decode(bytes.NewReader(ph.JPEG))
		if err != nil {
			t.Errorf("%s photo does not decode: %v", ph.Kind, err)
			continue
		}
		if s := img.Bounds().Size(); s.X != 640 || s.Y != 480 || ph.Width != 640 || ph.Height != 480 {
			t.Errorf("%s photo is %v (says %dx%d), want 640x480 as captured", ph.Kind, s, ph.Width, ph.Height)
		}
		if source != "" && ph.Source != source {
			t.Errorf("%s photo from %q, want %q", ph.Kind, ph.Source, source)
		}
	}
	if want := api.RequiredPhotos(twoSided); !slices.Equal(kinds, want) {
		t.Errorf("photos %v, want %v", kinds, want)
	}
}

// kioskHealth is kioskd's /healthz.
type kioskHealth struct {
	Status string `json:"status"`
	Camera string `json:"camera"`
	Queue  struct {
		Queued, Dead, Delivered int
	} `json:"queue"`
}

func (e *env) health() kioskHealth {
	e.t.Helper()
	var h kioskHealth
	e.getJSON(e.kioskURL()+"/healthz", "", &h)
	return h
}
