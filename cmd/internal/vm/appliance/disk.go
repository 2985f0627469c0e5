package appliance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// DataLabel is the data partition's file system label; the image's fstab
// mounts LABEL=idkdata at /data.
const DataLabel = "idkdata"

// DiskSize is the data disk's size: the image's data partition (1 GiB,
// with queue.max_mb = 768 in its template). The file is sparse: it takes
// only what the guest writes.
const DiskSize = 1 << 30

// ensureDisk makes the data disk at path, an empty ext4 file system labelled
// DataLabel, unless it exists: it persists the kiosk's identity and queue
// from one boot to the next, as the data partition does.
func ensureDisk(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = f.Truncate(DiskSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	// -m 0: no blocks reserved for root; kioskd, not root, fills it.
	out, err := exec.CommandContext(ctx, mkfsPath(), "-q", "-F", "-m", "0", "-L", DataLabel, tmp).CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("mkfs.ext4 %s: %w\n%s (Debian: apt-get install e2fsprogs)", tmp, err, out)
	}
	return os.Rename(tmp, path)
}

// mkfsPath finds mkfs.ext4, which lives in /sbin, not always on PATH.
func mkfsPath() string {
	if p, err := exec.LookPath("mkfs.ext4"); err == nil {
		return p
	}
	return "/sbin/mkfs.ext4"
}
