package outbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/envelope"
)

// bigItem is an item with an incompressible envelope body of n bytes: it
// passes Put's header check without paying for a real seal.
func bigItem(t testing.TB, n int) NewItem {
	t.Helper()
	id := uuid.NewString()
	hdr, err := json.Marshal(envelope.Header{Version: envelope.Version, ProfileID: id, DeviceID: "test", KeyID: "k", Suite: envelope.DefaultSuite})
	if err != nil {
		t.Fatal(err)
	}
	env := append([]byte{'I', 'D', 'K', 'E', envelope.Version, byte(len(hdr) >> 8), byte(len(hdr))}, hdr...)
	body := make([]byte, n)
	rand.Read(body)
	return NewItem{ID: id, Created: t0, Sealed: append(env, body...)}
}

// grown returns an outbox whose file grew with 40 profiles of 100 KB, all
// but one delivered (their pages are free now) and that one dead-lettered.
func grown(t *testing.T, path string, opts Options) (*Outbox, NewItem, []NewItem) {
	t.Helper()
	o := openTest(t, path, opts)
	var items []NewItem
	for range 40 {
		items = append(items, bigItem(t, 100<<10))
	}
	put(t, o, items...)
	if err := o.Dead(items[7].ID, "413 too large"); err != nil {
		t.Fatal(err)
	}
	var acked []NewItem
	for i, it := range items {
		if i == 7 {
			continue
		}
		if err := o.Ack(it.ID, Receipt{Digest: "d"}); err != nil {
			t.Fatal(err)
		}
		acked = append(acked, it)
	}
	return o, items[7], acked
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestCompact_ShrinksAndKeepsEverything(t *testing.T) {
	path := testPath(t)
	o, dead, acked := grown(t, path, Options{CompactMinBytes: 1 << 20})
	before := fileSize(t, path)
	statsBefore := mustStats(t, o)

	done, err := o.Compact()
	if err != nil || !done {
		t.Fatalf("Compact = %v, %v; want true, nil", done, err)
	}
	after := fileSize(t, path)
	if after > before/4 {
		t.Errorf("file %d bytes after compaction, was %d; want it below a quarter", after, before)
	}
	if _, err := os.Stat(compactPath(path)); !os.IsNotExist(err) {
		t.Errorf("the compaction's temporary file is still there: %v", err)
	}
	if got := mustStats(t, o); got != statsBefore {
		t.Errorf("Stats after compaction = %+v, want %+v", got, statsBefore)
	}
	env, err := o.DeadSealed(dead.ID)
	if err != nil || !bytes.Equal(env, dead.Sealed) {
		t.Errorf("dead letter after compaction: %d bytes, %v; want its envelope intact", len(env), err)
	}
	for _, it := range acked {
		if _, ok, err := o.Receipt(it.ID); !ok || err != nil {
			t.Fatalf("receipt %s lost in compaction (%v)", it.ID, err)
		}
	}
	// Sequence numbers carry on: a new profile must not take the dead
	// letter's key (and with it overwrite its blob).
	fresh := bigItem(t, 1000)
	put(t, o, fresh)
	q, err := o.Queued(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	dl, _ := o.DeadLetters()
	if len(q) != 1 || q[0].Seq <= dl[0].Seq {
		t.Errorf("new item seq %v after compaction, dead letter seq %d; want a larger one", q, dl[0].Seq)
	}
	if again, err := o.Compact(); again || err != nil {
		t.Errorf("second Compact with a queued item = %v, %v; want false, nil", again, err)
	}
}

func TestCompact_NotWorthIt(t *testing.T) {
	for _, tt := range []struct {
		name string
		min  int64
		ack  bool
	}{
		{"below the minimum size", 1 << 40, true},
		{"items queued", 1 << 20, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := openTest(t, testPath(t), Options{CompactMinBytes: tt.min})
			items := []NewItem{bigItem(t, 2<<20), bigItem(t, 2<<20)}
			put(t, o, items...)
			if tt.ack {
				for _, it := range items {
					o.Ack(it.ID, Receipt{})
				}
			}
			if done, err := o.Compact(); done || err != nil {
				t.Errorf("Compact = %v, %v; want false, nil", done, err)
			}
		})
	}
}

// A crash after the copy is written and before it replaces the file must
// leave the original, which the next Open uses, deleting the copy. The
// failpoint panics here to stand in for the SIGKILL of the crash test.
func TestCompact_CrashBeforeRename(t *testing.T) {
	path := testPath(t)
	crash := func(name string) {
		if name == FailpointMidCompaction {
			panic("crash")
		}
	}
	o, dead, acked := grown(t, path, Options{CompactMinBytes: 1 << 20, Failpoint: crash})
	before := fileSize(t, path)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("Compact did not reach the failpoint")
			}
		}()
		o.Compact()
	}()
	if _, err := os.Stat(compactPath(path)); err != nil {
		t.Fatalf("the compacted copy should be on disk at the crash: %v", err)
	}
	o.Close()
	if got := fileSize(t, path); got != before {
		t.Errorf("file is %d bytes after an interrupted compaction, want untouched %d", got, before)
	}
	o = openTest(t, path, Options{})
	if _, err := os.Stat(compactPath(path)); !os.IsNotExist(err) {
		t.Errorf("Open left the partial copy behind: %v", err)
	}
	if env, err := o.DeadSealed(dead.ID); err != nil || !bytes.Equal(env, dead.Sealed) {
		t.Errorf("dead letter after the crash: %v", err)
	}
	if _, ok, _ := o.Receipt(acked[0].ID); !ok {
		t.Error("receipt lost after the crash")
	}
	if err := o.Put(context.Background(), bigItem(t, 100)); err != nil {
		t.Errorf("Put after the crash: %v", err)
	}
}
