package outbox

import (
	"os"
	"syscall"
	"unsafe"

	bolt "go.etcd.io/bbolt"
)

// bbolt reads through a shared, read-only mmap of the whole file, and every
// page a read touches stays in the process's resident set. Draining a 2 GB
// backlog would otherwise leave kioskd's RSS near 2 GB: growing with the
// backlog instead of with the profiles in flight. MADV_DONTNEED on a shared
// file mapping only unmaps: the bytes stay in the file and in the page
// cache, and the next read faults them in again. So dropping a page is
// always safe, even one another goroutine is reading; at worst it costs
// that reader a page fault.

var pageSize = os.Getpagesize()

// dropPages unmaps the pages under b, a value just copied out of bbolt in
// the open transaction tx. A value a write transaction changed lives on
// the Go heap, not in the mapping, and advice there would zero live
// memory: only a b wholly inside the mapping is touched.
func dropPages(tx *bolt.Tx, b []byte) {
	if len(b) == 0 {
		return
	}
	base, size := tx.DB().Info().Data, uintptr(tx.Size())
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if addr < base || addr+uintptr(len(b)) > base+size {
		return
	}
	madvise(addr, len(b))
}

// sweepEvery is how many envelope deletions pass between two sweeps of the
// whole mapping (dropMapping): at most this many envelopes' first pages
// (4 KB each) stay resident.
const sweepEvery = 32

// sweep counts a deleted envelope and sweeps the mapping every sweepEvery.
func (o *Outbox) sweep() {
	if o.deletes.Add(1)%sweepEvery != 0 {
		return
	}
	db, unlock, err := o.acquire()
	if err != nil {
		return
	}
	defer unlock()
	dropMapping(db)
}

// dropMapping unmaps every page of the file. It runs inside a read
// transaction because bbolt remaps the file only under a lock that waits
// for readers: the mapping cannot move while the advice is given.
// Envelopes are copied out and dropped one by one (dropPages); this sweeps
// up what bbolt itself touched: the first page of each envelope it sized,
// freed or moved.
func dropMapping(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error {
		info := db.Info()
		madvise(info.Data, int(tx.Size()))
		return nil
	})
}

// madvise gives MADV_DONTNEED for the pages overlapping [addr, addr+n),
// rounded outward to whole pages. The address is not Go memory (it is
// bbolt's mapping), hence the raw system call. Advice is best effort: an
// error changes nothing about correctness.
func madvise(addr uintptr, n int) {
	head := addr % uintptr(pageSize)
	length := (uintptr(n) + head + uintptr(pageSize) - 1) / uintptr(pageSize) * uintptr(pageSize)
	syscall.Syscall(syscall.SYS_MADVISE, addr-head, length, syscall.MADV_DONTNEED)
}
