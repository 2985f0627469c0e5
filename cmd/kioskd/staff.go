package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/idkiosk/idkiosk/cmd/kioskd/config"
	kioskui "github.com/idkiosk/idkiosk/kiosk-ui"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/outbox"
)

// wireStaff turns on staff mode when staff.pin_hash is set: the session
// checks PINs against the hash and records what staff do in the audit
// file, and keeps the PIN lockout in the data directory (stafflock.go) so
// a restart or a power cut does not reset it. Without a PIN there is no
// staff mode and no quality override, and the returned audit is nil (its
// run returns at once).
func wireStaff(cfg *config.Config, deps *session.Deps, log *slog.Logger) (*staffAudit, session.StaffConfig, error) {
	sc := session.StaffConfig{
		IdleTimeout: cfg.Staff.IdleTimeout, FreeAttempts: cfg.Staff.FreeAttempts,
		Lockout: cfg.Staff.Lockout, MaxLockout: cfg.Staff.MaxLockout,
	}
	if cfg.Staff.PINHash == "" {
		log.Info("staff mode off: no staff.pin_hash")
		return nil, sc, nil
	}
	pin, err := config.ParsePINHash(cfg.Staff.PINHash)
	if err != nil {
		return nil, sc, fmt.Errorf("staff.pin_hash: %w", err) // config validation catches it first
	}
	audit, err := openStaffAudit(cfg.StaffAuditPath(), log.With("part", "audit"))
	if err != nil {
		return nil, sc, err
	}
	deps.PIN, deps.StaffAudit = pin, audit
	deps.StaffLockout = newLockoutFile(cfg.Device.DataDir)
	return audit, sc, nil
}

// staffDesk is kiosk-ui's Staff: the status for staff mode's screens and
// the repairs staff may make there, the same as kioskctl's.
type staffDesk struct {
	status *statusSource
	box    *outbox.Outbox
	log    *slog.Logger
}

var _ kioskui.Staff = staffDesk{}

func (d staffDesk) Status(ctx context.Context) (any, error)   { return d.status.Status(ctx) }
func (d staffDesk) Diagnose(ctx context.Context) (any, error) { return d.status.Diagnose(ctx) }

func (d staffDesk) SyncNow(ctx context.Context) error {
	if err := d.box.RetryNow(); err != nil {
		return err
	}
	d.log.Info("sync now, from staff mode")
	return nil
}

func (d staffDesk) RetryDead(ctx context.Context, ids []string) (int, error) {
	n, err := d.box.RetryDead(ids...)
	if errors.Is(err, outbox.ErrNotFound) {
		return 0, fmt.Errorf("%w: %w", kioskui.ErrNotFound, err)
	}
	if err != nil {
		return 0, err
	}
	d.log.Info("dead letters requeued from staff mode", "count", n, "ids", ids)
	return n, nil
}
