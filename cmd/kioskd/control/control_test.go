package control

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/api/apitest"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// testQueue is an outbox holding n sealed profiles.
func testQueue(t *testing.T, n int) (*outbox.Outbox, []outbox.NewItem) {
	t.Helper()
	o, err := outbox.Open(filepath.Join(t.TempDir(), "q", "outbox.db"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	key, err := envelope.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var items []outbox.NewItem
	for range n {
		p := apitest.Profile(t, apitest.Options{})
		env, err := envelope.Seal(key.Public(), p)
		if err != nil {
			t.Fatal(err)
		}
		it := outbox.NewItem{ID: p.ID, Created: p.Created, Sealed: env}
		if err := o.Put(context.Background(), it); err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	return o, items
}

// serve runs a control server with the queue commands on a fresh socket
// and returns a client for it.
func serve(t *testing.T, q Queue) (*Client, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run", "kioskd.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(nil)
	srv.HandleQueue(q, "kiosk-7")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return NewClient(path), path
}

func TestListen_Permissions(t *testing.T) {
	_, path := serve(t, nil)
	for p, want := range map[string]os.FileMode{path: 0o660, filepath.Dir(path): 0o750} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", p, got, want)
		}
	}
	if ln, err := Listen(path); err == nil {
		ln.Close()
		t.Error("Listen on a socket another server answers on: err = nil, want refusal")
	}
}

func TestListen_StaleSocketAndOtherFiles(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	// A socket file nobody serves: what a SIGKILLed kioskd leaves.
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	ln, err := Listen(stale)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ln.Close()

	regular := filepath.Join(dir, "file")
	os.WriteFile(regular, []byte("keep me"), 0o600)
	if ln, err := Listen(regular); err == nil {
		ln.Close()
		t.Error("Listen over a regular file: err = nil, want refusal")
	}
	if b, _ := os.ReadFile(regular); string(b) != "keep me" {
		t.Error("Listen touched a regular file in the way")
	}
}

func TestQueue_ListRetryExport(t *testing.T) {
	o, items := testQueue(t, 4)
	for _, it := range items[1:3] {
		if err := o.Dead(it.ID, "service answered 413: Content Too Large"); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := serve(t, o)
	ctx := context.Background()

	l, err := c.QueueList(ctx, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if l.Stats.Queued != 2 || l.Stats.Dead != 2 || len(l.Queued) != 1 || !l.More || len(l.Dead) != 2 {
		t.Fatalf("QueueList(limit 1) = %+v, want 2 queued (1 listed, more), 2 dead", l)
	}
	if q := l.Queued[0]; q.ID != items[0].ID || q.Reference != api.ReferenceCode(items[0].ID) || q.Size != int64(len(items[0].Sealed)) {
		t.Errorf("first queued = %+v, want %s with its reference and size", q, items[0].ID)
	}
	if d := l.Dead[0]; d.ID != items[1].ID || d.Reason != "service answered 413: Content Too Large" {
		t.Errorf("first dead = %+v, want %s with the 413 reason", d, items[1].ID)
	}
	next, err := c.QueueList(ctx, l.Queued[0].Seq, 10)
	if err != nil || len(next.Queued) != 1 || next.Queued[0].ID != items[3].ID || next.More {
		t.Errorf("second page = %+v, %v; want just %s", next.Queued, err, items[3].ID)
	}

	var archive bytes.Buffer
	if err := c.ExportDead(ctx, &archive); err != nil {
		t.Fatal(err)
	}
	files, m := readExport(t, &archive)
	if len(m.Profiles) != 2 || m.Device != "kiosk-7" {
		t.Fatalf("manifest = %+v, want 2 profiles from kiosk-7", m)
	}
	for i, p := range m.Profiles {
		want := items[1+i]
		if p.ID != want.ID || !bytes.Equal(files[p.File], want.Sealed) || p.Digest != api.ContentDigest(want.Sealed) {
			t.Errorf("export %d: %s, %d bytes, digest %s; want %s's envelope and digest", i, p.ID, len(files[p.File]), p.Digest, want.ID)
		}
	}

	if _, err := c.RetryDead(ctx, items[0].ID); !IsNotFound(err) {
		t.Errorf("RetryDead of a queued profile = %v, want kioskd's 404", err)
	}
	if n, err := c.RetryDead(ctx); n != 2 || err != nil {
		t.Errorf("RetryDead(all) = %d, %v; want 2, nil", n, err)
	}
	if st, _ := o.Stats(); st.Queued != 4 || st.Dead != 0 {
		t.Errorf("after retry: %d queued, %d dead; want 4 and 0", st.Queued, st.Dead)
	}
	if err := c.SyncNow(ctx); err != nil {
		t.Errorf("SyncNow: %v", err)
	}
}

func readExport(t *testing.T, r io.Reader) (map[string][]byte, ExportManifest) {
	t.Helper()
	files := map[string][]byte{}
	var m ExportManifest
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if h.Name == "manifest.json" {
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			continue
		}
		files[h.Name] = b
	}
	return files, m
}

func TestQueue_BadRequests(t *testing.T) {
	o, _ := testQueue(t, 1)
	c, _ := serve(t, o)
	ctx := context.Background()
	for _, path := range []string{PathQueue + "?limit=0", PathQueue + "?limit=x", PathQueue + "?after=-1"} {
		var se *StatusError
		if err := c.Do(ctx, "GET", path, nil, &QueueList{}); !errors.As(err, &se) || se.Status != 400 {
			t.Errorf("GET %s = %v, want a 400 problem", path, err)
		}
	}
	if err := c.Do(ctx, "POST", PathRetryDead, "not an object", nil); err == nil {
		t.Error("retry with a malformed body: err = nil, want 400")
	}
}
