package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/idkiosk/idkiosk/kiosk-ui/session"
	"github.com/idkiosk/idkiosk/sync/durable"
)

// lockoutFileName is the staff PIN lockout's file in device.data_dir.
const lockoutFileName = "staff-lockout.json"

// lockoutFile keeps the staff PIN lockout (session.StaffLockout) in
// <data_dir>/staff-lockout.json, so that pulling the kiosk's power does not
// hand a guesser fresh free attempts. It holds a count and two times: no
// PIN, no hash, nothing about anyone.
type lockoutFile struct {
	path string
}

var _ session.LockoutStore = lockoutFile{}

// lockoutJSON is the file's format, version 1. A file of another version
// or with impossible values is unreadable, and the session then locks the
// keypad.
type lockoutJSON struct {
	Version     int       `json:"version"`
	Failures    int       `json:"failures"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
	Lockout     string    `json:"lockout,omitempty"` // a Go duration, "1m0s": the last lock's length
}

const lockoutVersion = 1

func newLockoutFile(dataDir string) lockoutFile {
	return lockoutFile{path: filepath.Join(dataDir, lockoutFileName)}
}

// Load implements session.LockoutStore: no file is a clean state.
func (f lockoutFile) Load() (session.StaffLockout, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return session.StaffLockout{}, nil
	}
	if err != nil {
		return session.StaffLockout{}, fmt.Errorf("read staff lockout: %w", err)
	}
	var j lockoutJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return session.StaffLockout{}, fmt.Errorf("parse %s: %w", f.path, err)
	}
	st := session.StaffLockout{Failures: j.Failures, LockedUntil: j.LockedUntil}
	if j.Lockout != "" {
		if st.Lockout, err = time.ParseDuration(j.Lockout); err != nil {
			return session.StaffLockout{}, fmt.Errorf("parse %s: lockout: %w", f.path, err)
		}
	}
	if j.Version != lockoutVersion || st.Failures < 0 || st.Lockout < 0 {
		return session.StaffLockout{}, fmt.Errorf("parse %s: version %d, failures %d, lockout %s: want version %d and no negative values",
			f.path, j.Version, st.Failures, st.Lockout, lockoutVersion)
	}
	return st, nil
}

// Save implements session.LockoutStore. It replaces the file atomically,
// mode 0600: written to a temporary file in the same directory, fsync'd,
// renamed over the old one (the commit), then the directory fsync'd so the
// rename survives a power cut. A crash at any point leaves the old file or
// the new one, never half of either.
func (f lockoutFile) Save(st session.StaffLockout) error {
	j := lockoutJSON{Version: lockoutVersion, Failures: st.Failures}
	if !st.LockedUntil.IsZero() {
		j.LockedUntil = st.LockedUntil.UTC()
	}
	if st.Lockout > 0 {
		j.Lockout = st.Lockout.String()
	}
	b, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("save staff lockout: %w", err)
	}
	if err := durable.WriteFile(f.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save staff lockout: %w", err)
	}
	return nil
}
