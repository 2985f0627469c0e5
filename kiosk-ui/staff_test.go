package kioskui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

type plainPIN string

func (p plainPIN) CheckPIN(pin string) bool { return pin == string(p) }

// fakeStaff answers with canned documents and records what staff did.
type fakeStaff struct {
	mu      sync.Mutex
	synced  int
	retried [][]string
}

func (f *fakeStaff) Status(ctx context.Context) (any, error) {
	return map[string]any{"health": "degraded", "queue": map[string]int{"queued": 3}}, nil
}

func (f *fakeStaff) Diagnose(ctx context.Context) (any, error) {
	return map[string]any{"ok": false}, nil
}

func (f *fakeStaff) SyncNow(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.synced++
	return nil
}

func (f *fakeStaff) RetryDead(ctx context.Context, ids []string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if slices.Contains(ids, "unknown") {
		return 0, fmt.Errorf("retry: %w", ErrNotFound)
	}
	f.retried = append(f.retried, ids)
	return max(len(ids), 2), nil
}

// staffFixture is a server whose session has staff mode (PIN 135790).
func staffFixture(t *testing.T) (*fixture, *fakeStaff) {
	t.Helper()
	sess := session.New(session.Config{DeviceID: "kiosk-test", Languages: []string{"en"}},
		session.Deps{Camera: stillCamera{}, Cradle: cradle.NewSim(), Saver: nopSaver{}, PIN: plainPIN("135790"),
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sess.Run(ctx)
	}()
	staff := &fakeStaff{}
	f := &fixture{t: t, sess: sess}
	f.srv = NewServer(ServerConfig{Staff: staff, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, sess)
	t.Cleanup(func() {
		f.srv.Close()
		cancel()
		<-done
	})
	return f, staff
}

// TestStaffRoutes_OnlyWhileUnlocked: staff data and actions answer 403
// until the PIN is entered on the staff screen, and again once staff mode
// is left.
func TestStaffRoutes_OnlyWhileUnlocked(t *testing.T) {
	f, staff := staffFixture(t)
	get := func() *httptest.ResponseRecorder {
		return f.serve(httptest.NewRequest(http.MethodGet, "/api/staff/status", nil))
	}
	requests := []func() *httptest.ResponseRecorder{
		get,
		func() *httptest.ResponseRecorder { return f.post("/api/staff/diagnose", "{}") },
		func() *httptest.ResponseRecorder { return f.post("/api/staff/sync-now", "{}") },
		func() *httptest.ResponseRecorder { return f.post("/api/staff/retry-dead", `{"ids":[]}`) },
	}
	refused := func(when string) {
		t.Helper()
		for i, req := range requests {
			w := req()
			if p := decodeProblem(t, w); w.Code != http.StatusForbidden || p.Key != KeyStaffRequired {
				t.Errorf("%s: request %d answered %d %q, want 403 %q", when, i, w.Code, p.Key, KeyStaffRequired)
			}
		}
	}
	refused("on welcome")
	f.act(session.Action{Type: session.ActStaffOpen})
	refused("before the PIN")
	f.act(session.Action{Type: session.ActStaffUnlock, PIN: "135790"})
	deadline := time.Now().Add(10 * time.Second)
	for !f.sess.StaffMode(false) {
		if time.Now().After(deadline) {
			t.Fatal("staff mode not unlocked by the right PIN")
		}
		time.Sleep(5 * time.Millisecond)
	}

	w := get()
	var st map[string]any
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &st) != nil || st["health"] != "degraded" {
		t.Errorf("status while unlocked: %d %s, want the status document", w.Code, w.Body)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("status Cache-Control %q, want no-store", cc)
	}
	if w := f.post("/api/staff/sync-now", "{}"); w.Code != http.StatusOK || staff.synced != 1 {
		t.Errorf("sync-now: %d, synced %d times; want 200 and once", w.Code, staff.synced)
	}
	if w := f.post("/api/staff/retry-dead", `{"ids":["a","b"]}`); w.Code != http.StatusOK || w.Body.String() != "{\"requeued\":2}\n" {
		t.Errorf("retry-dead: %d %s, want 200 and 2 requeued", w.Code, w.Body)
	}
	if w := f.post("/api/staff/retry-dead", `{"ids":["unknown"]}`); w.Code != http.StatusNotFound {
		t.Errorf("retry-dead of an unknown id: %d, want 404", w.Code)
	}
	if w := f.post("/api/staff/retry-dead", `{"ids":"all"}`); w.Code != http.StatusBadRequest {
		t.Errorf("retry-dead with a malformed body: %d, want 400", w.Code)
	}
	r := httptest.NewRequest(http.MethodPost, "/api/staff/sync-now", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", "http://evil.example")
	if w := f.serve(r); w.Code != http.StatusForbidden {
		t.Errorf("cross-origin sync-now: %d, want 403", w.Code)
	}

	f.act(session.Action{Type: session.ActStaffExit})
	refused("after leaving staff mode")
}

// Without a Staff the routes do not exist.
func TestStaffRoutes_AbsentWithoutStaff(t *testing.T) {
	f := newFixture(t, ServerConfig{})
	w := f.serve(httptest.NewRequest(http.MethodGet, "/api/staff/status", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("GET /api/staff/status without staff mode: %d, want 404", w.Code)
	}
}
