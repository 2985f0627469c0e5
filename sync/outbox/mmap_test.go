package outbox

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// mappingRSS is how much of the outbox file's mapping is resident in this
// process, from /proc/self/smaps.
func mappingRSS(t *testing.T, o *Outbox) int64 {
	t.Helper()
	var base uintptr
	o.view(func(tx *bolt.Tx) error { base = tx.DB().Info().Data; return nil })
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	want := fmt.Sprintf("%x-", base)
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "-") && !strings.Contains(line, ":") || strings.HasPrefix(line, want) {
			in = strings.HasPrefix(line, want)
			continue
		}
		if v, ok := strings.CutPrefix(line, "Rss:"); in && ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("mapping at %x not in /proc/self/smaps", base)
	return 0
}

// Draining a backlog must not leave the file's pages resident in the
// process: memory is bounded by what is in flight, not by the backlog.
func TestDrain_MappingStaysSmall(t *testing.T) {
	o := openTest(t, testPath(t), Options{MaxItems: 1 << 20, MaxBytes: 1 << 40})
	const n, size = 240, 400 << 10
	for range n {
		put(t, o, bigItem(t, size))
	}
	var after uint64
	for {
		it, ok, err := o.Next(after, t0)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		after = it.Seq
		if err := o.Ack(it.ID, Receipt{}); err != nil {
			t.Fatal(err)
		}
	}
	if st := mustStats(t, o); st.Delivered != n {
		t.Fatalf("delivered %d, want %d", st.Delivered, n)
	}
	// Reading the whole backlog through the mapping touched n*size bytes;
	// what stays is bbolt's small pages (64 KB each) and the envelopes
	// deleted since the last sweep, whatever the backlog.
	if rss := mappingRSS(t, o); rss > 16<<20 {
		t.Errorf("after draining %d MB the file's mapping holds %d KB resident, want at most 16 MB", n*size>>20, rss>>10)
	}
}

// Dropping pages never loses data: everything reads back after a sweep.
func TestDropMapping_ReadsBack(t *testing.T) {
	s := newSealer(t)
	o := openTest(t, testPath(t), Options{})
	want := []NewItem{s.item(), bigItem(t, 300<<10), s.item()}
	put(t, o, want...)
	mustDue(t, o, t0, 0) // fault everything in
	db, unlock, err := o.acquire()
	if err != nil {
		t.Fatal(err)
	}
	dropMapping(db)
	unlock()
	got := mustDue(t, o, t0, 0)
	for i, it := range got {
		if string(it.Sealed) != string(want[i].Sealed) {
			t.Errorf("item %d changed after the mapping was dropped", i)
		}
	}
}
