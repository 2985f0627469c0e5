package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/api"
	"github.com/idkiosk/idkiosk/sync/envelope"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// sealingSaver is the session's Saver: it seals a profile to the service's
// key in memory and commits the envelope to the outbox. Plaintext never
// reaches the disk, and Save returns only after the commit is fsync'd.
type sealingSaver struct {
	key *envelope.PublicKey
	box *outbox.Outbox
}

func (s sealingSaver) Save(ctx context.Context, p *api.Profile) error {
	sealed, err := envelope.Seal(s.key, p)
	if err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	// The commit is not cancelled with the request: once sealing is done, a
	// learner closing the page or a SIGTERM must not turn "almost saved"
	// into "lost". bbolt makes the commit all-or-nothing either way.
	err = s.box.Put(context.WithoutCancel(ctx), outbox.NewItem{ID: p.ID, Created: p.Created, Sealed: sealed})
	switch {
	case errors.Is(err, outbox.ErrFull):
		return fmt.Errorf("save profile: %w: %w", session.ErrQueueFull, err)
	case err != nil:
		return fmt.Errorf("save profile: %w", err)
	}
	return nil
}
