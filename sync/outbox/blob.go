package outbox

import (
	"errors"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Envelopes live one per nested bucket: envelopes/<seq>/"e". bbolt never
// splits a leaf of two large values, so with envelopes side by side in one
// bucket (format 1's "blobs") deleting one rewrote its neighbour: a
// delivered 400 KB profile cost ~1 MB of new pages and pulled the
// neighbour's pages into the process's resident set, which then grew with
// the backlog. A nested bucket per envelope is its own page run:
// DeleteBucket frees it without reading it.
//
// Files written by format 1 keep their "blobs" bucket: it is still read,
// and emptied as those profiles are delivered; nothing new goes there.

var keyEnvelope = []byte("e")

func putBlob(tx *bolt.Tx, key, env []byte) error {
	b, err := tx.Bucket(bucketEnvelopes).CreateBucket(key)
	if err != nil {
		return err
	}
	return b.Put(keyEnvelope, env)
}

// getBlob returns the envelope stored under key (pointing into the mmap:
// valid only in tx), or nil.
func getBlob(tx *bolt.Tx, key []byte) []byte {
	if b := tx.Bucket(bucketEnvelopes).Bucket(key); b != nil {
		return b.Get(keyEnvelope)
	}
	if legacy := tx.Bucket(bucketBlobs); legacy != nil {
		return legacy.Get(key)
	}
	return nil
}

func deleteBlob(tx *bolt.Tx, key []byte) error {
	err := tx.Bucket(bucketEnvelopes).DeleteBucket(key)
	if err == nil || !errors.Is(err, berrors.ErrBucketNotFound) {
		return err
	}
	if legacy := tx.Bucket(bucketBlobs); legacy != nil {
		return legacy.Delete(key)
	}
	return nil
}
