package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idkiosk/idkiosk/cmd/kioskd/control"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/api/apitest"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// kiosk serves the queue commands over a socket for an outbox holding n
// sealed profiles, the first two dead-lettered.
func kiosk(t *testing.T, n int) (socket string, box *outbox.Outbox, ids []string) {
	t.Helper()
	dir := t.TempDir()
	box, err := outbox.Open(filepath.Join(dir, "q", "outbox.db"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { box.Close() })
	key, _ := envelope.GenerateKey()
	for i := range n {
		p := apitest.Profile(t, apitest.Options{})
		env, err := envelope.Seal(key.Public(), p)
		if err != nil {
			t.Fatal(err)
		}
		if err := box.Put(context.Background(), outbox.NewItem{ID: p.ID, Sealed: env}); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			box.Dead(p.ID, "service answered 422: envelope does not open")
		}
		ids = append(ids, p.ID)
	}
	socket = filepath.Join(dir, "kioskd.sock")
	ln, err := control.Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := control.New(nil)
	srv.HandleQueue(box, "kiosk-1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return socket, box, ids
}

func TestQueue_ListShowsQueuedAndDead(t *testing.T) {
	socket, _, ids := kiosk(t, 3)
	var out, errOut bytes.Buffer
	if code := run([]string{"queue", "list", "-socket", socket}, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	for _, want := range []string{
		"dead:       2",
		api.ReferenceCode(ids[2]), // queued
		api.ReferenceCode(ids[0]), // dead
		"service answered 422: envelope does not open",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("queue list output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestQueue_RetryDeadByReferenceAndAll(t *testing.T) {
	socket, box, ids := kiosk(t, 3)
	var out, errOut bytes.Buffer
	ref := strings.ToLower(api.ReferenceCode(ids[1])) // as staff might type it
	if code := run([]string{"queue", "retry-dead", "-socket", socket, ref}, &out, &errOut); code != exitOK {
		t.Fatalf("retry-dead %s: exit %d, stderr %q", ref, code, errOut.String())
	}
	if st, _ := box.Stats(); st.Dead != 1 || st.Queued != 2 {
		t.Errorf("after retrying one: %d dead %d queued, want 1 and 2", st.Dead, st.Queued)
	}
	if code := run([]string{"queue", "retry-dead", "-socket", socket, "ZZZZ-ZZZZ"}, &out, &errOut); code != exitProblem {
		t.Errorf("retry-dead of an unknown reference: exit %d, want %d", code, exitProblem)
	}
	if code := run([]string{"queue", "retry-dead", "-socket", socket}, &out, &errOut); code != exitUsage {
		t.Errorf("retry-dead with neither -all nor ids: exit %d, want %d", code, exitUsage)
	}
	out.Reset()
	if code := run([]string{"queue", "retry-dead", "-socket", socket, "-all"}, &out, &errOut); code != exitOK || !strings.Contains(out.String(), "requeued 1") {
		t.Errorf("retry-dead -all: exit %d, output %q; want requeued 1", code, out.String())
	}
}

func TestQueue_ExportDead(t *testing.T) {
	socket, box, ids := kiosk(t, 3)
	dest := filepath.Join(t.TempDir(), "dead.tar")
	var out, errOut bytes.Buffer
	if code := run([]string{"queue", "export-dead", "-socket", socket, "-o", dest}, &out, &errOut); code != exitOK {
		t.Fatalf("export-dead: exit %d, stderr %q", code, errOut.String())
	}
	m, err := readManifest(dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Profiles) != 2 || m.Profiles[0].ID != ids[0] || m.Profiles[1].ID != ids[1] {
		t.Errorf("exported %+v, want the two dead letters", m.Profiles)
	}
	if st, _ := box.Stats(); st.Dead != 2 {
		t.Errorf("export removed dead letters: %d left, want 2", st.Dead)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".export-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestQueue_NoKiosk(t *testing.T) {
	var out, errOut bytes.Buffer
	socket := filepath.Join(t.TempDir(), "none.sock")
	if code := run([]string{"queue", "list", "-socket", socket}, &out, &errOut); code != exitNoAnswer {
		t.Errorf("queue list without kioskd: exit %d, want %d", code, exitNoAnswer)
	}
	if _, err := os.Stat(socket); err == nil {
		t.Error("kioskctl created the socket file")
	}
}
