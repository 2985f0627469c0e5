package outbox

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// writeFormat1 writes an outbox file as format 1 did: envelopes side by
// side in the "blobs" bucket.
func writeFormat1(t *testing.T, path string, items []NewItem) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketQueue, bucketDead, bucketBlobs, bucketIDs, bucketReceipts} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		tx.Bucket(bucketMeta).Put(keyVersion, []byte{1})
		var c counters
		for _, it := range items {
			seq, _ := tx.Bucket(bucketQueue).NextSequence()
			k := seqKey(seq)
			rec := record{ID: it.ID, Created: t0, NextAttempt: t0}
			tx.Bucket(bucketQueue).Put(k, rec.marshal())
			tx.Bucket(bucketBlobs).Put(k, it.Sealed)
			tx.Bucket(bucketIDs).Put([]byte(it.ID), k)
			c.queued++
			c.queuedBytes += int64(len(it.Sealed))
		}
		return c.store(tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A file written by format 1 opens, its profiles read back and are
// delivered or dead-lettered as before, and new profiles go beside them.
func TestOpen_Format1File(t *testing.T) {
	s := newSealer(t)
	path := testPath(t)
	old := []NewItem{s.item(), s.item(), s.item()}
	writeFormat1(t, path, old)

	o := openTest(t, path, Options{})
	fresh := s.item()
	put(t, o, fresh)
	got := mustDue(t, o, t0, 0)
	want := append(append([]NewItem{}, old...), fresh)
	if len(got) != len(want) {
		t.Fatalf("Due = %d items, want %d", len(got), len(want))
	}
	for i, it := range got {
		if it.ID != want[i].ID || !bytes.Equal(it.Sealed, want[i].Sealed) {
			t.Errorf("item %d: %s, want %s with its envelope", i, it.ID, want[i].ID)
		}
	}
	if err := o.Ack(old[0].ID, Receipt{}); err != nil {
		t.Fatal(err)
	}
	if err := o.Dead(old[1].ID, "422"); err != nil {
		t.Fatal(err)
	}
	if env, err := o.DeadSealed(old[1].ID); err != nil || !bytes.Equal(env, old[1].Sealed) {
		t.Errorf("dead format-1 envelope: %v", err)
	}
	st := mustStats(t, o)
	if st.Queued != 2 || st.Dead != 1 || st.QueuedBytes != int64(len(old[2].Sealed)+len(fresh.Sealed)) {
		t.Errorf("Stats = %+v, want 2 queued (old[2], fresh) with their bytes, 1 dead", st)
	}
	o.Close()

	// The file is format 2 now: a format-1 build would refuse it rather
	// than miss the envelopes in the new bucket.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyVersion); !bytes.Equal(v, []byte{formatVersion}) {
			t.Errorf("format version after open = %v, want %d", v, formatVersion)
		}
		return nil
	})
}
