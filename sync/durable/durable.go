// Package durable writes files so that a power cut leaves either the old
// file or the whole new one, and a rename or a new file's name survives
// it: the kiosk's identity and staff lockout, the admin listener's
// certificate, the service's registry and keys all go through here.
package durable

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile replaces path with b: a temporary file in the same directory,
// written with mode perm and fsync'd, renamed over path (the commit), then
// the directory fsync'd so the rename is on disk too. On error the
// temporary file is gone and path is untouched.
func WriteFile(path string, b []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*") // 0600 until Chmod
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(b)
	err = errors.Join(err, tmp.Chmod(perm), tmp.Sync())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory, making the names created, renamed or removed
// in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
