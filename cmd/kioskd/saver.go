package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"

	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// Failpoints of the save path, for the crash test (see failpoint.go).
const (
	failpointAfterSeal   = "after-seal"
	failpointAfterCommit = "after-commit-before-answer"
)

// profileReserve is the room Admit wants under the queue's byte limit
// before a learner starts: a sealed profile is 0.3-1 MB with real cameras.
const profileReserve = 1 << 20

// sealingSaver is the session's Saver: it seals a profile to the service's
// key in memory and commits the envelope to the outbox. Plaintext never
// reaches the disk, and Save returns only after the commit is fsync'd.
type sealingSaver struct {
	key *envelope.PublicKey
	// device seals to the service's current key and signs with the
	// device's key (identity.go); kioskd always sets it.
	device *kioskIdentity
	box    *outbox.Outbox
	// minFree is the free space (bytes) the queue's partition must have for
	// a new session to start; 0 turns the check off.
	minFree uint64
	// failpoint, when set, is called at the failpoint* points.
	failpoint func(string)
}

var _ session.Admitter = sealingSaver{}

func (s sealingSaver) Save(ctx context.Context, p *api.Profile) error {
	sealed, err := s.sealProfile(p)
	if err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	s.hit(failpointAfterSeal)
	// The commit is not cancelled with the request: once sealing is done, a
	// learner closing the page or a SIGTERM must not turn "almost saved"
	// into "lost". bbolt makes the commit all-or-nothing either way.
	err = s.box.Put(context.WithoutCancel(ctx), outbox.NewItem{ID: p.ID, Created: p.Created, Sealed: sealed})
	switch {
	case errors.Is(err, outbox.ErrFull), errors.Is(err, outbox.ErrNoSpace):
		// A full disk is a full queue to the learner: nothing they can do
		// at the kiosk helps, staff must.
		return fmt.Errorf("save profile: %w: %w", session.ErrQueueFull, err)
	case err != nil:
		return fmt.Errorf("save profile: %w", err)
	}
	s.hit(failpointAfterCommit)
	return nil
}

// Admit refuses a new session when the profile could not be stored at the
// end: the outbox is at its item or byte limit, or the partition it lives
// on is nearly full. It is checked when the learner taps "start", so they
// never fill in everything for nothing.
func (s sealingSaver) Admit(ctx context.Context) error {
	st, err := s.box.Stats()
	if err != nil {
		return fmt.Errorf("admit: %w", err)
	}
	if held := st.Queued + st.Dead; held >= st.MaxItems {
		return fmt.Errorf("admit: queue holds %d profiles, its limit is %d: %w", held, st.MaxItems, session.ErrQueueFull)
	}
	if held := st.QueuedBytes + st.DeadBytes; held+profileReserve > st.MaxBytes {
		return fmt.Errorf("admit: queue holds %d MiB, its limit is %d MiB: %w", held>>20, st.MaxBytes>>20, session.ErrQueueFull)
	}
	if s.minFree == 0 {
		return nil
	}
	free, err := freeBytes(filepath.Dir(s.box.Path()))
	if err != nil {
		return fmt.Errorf("admit: %w", err)
	}
	if free < s.minFree {
		return fmt.Errorf("admit: %d MiB free on the queue's partition, want %d MiB: %w", free>>20, s.minFree>>20, session.ErrQueueFull)
	}
	return nil
}

func (s sealingSaver) hit(name string) {
	if s.failpoint != nil {
		s.failpoint(name)
	}
}

// freeBytes is the space an unprivileged writer may still use on the file
// system holding dir (root's reserved blocks do not count: kioskd should
// not need them).
func freeBytes(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
