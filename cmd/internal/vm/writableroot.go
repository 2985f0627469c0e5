package vm

import (
	"errors"
	"fmt"
)

// WritableRoot makes the guest's root writable: a tmpfs overlay over the
// host root, so the command may install files, add users or make mount
// points anywhere, and everything it writes vanishes at power-off; the
// host's files stay untouched (the host root is still shared read-only
// beneath). o.RunDir must be set: its mount, like /dev, /proc, /sys and the
// guest's tmpfs directories, is moved onto the overlay.
func WritableRoot(o *Options) error {
	if o.RunDir == "" {
		return errors.New("vm: WritableRoot needs Options.RunDir")
	}
	o.Modules = append(o.Modules, Module{Name: "overlay"})
	lines := []string{
		"mkdir -p /ovl /merged && mount -t tmpfs -o mode=0755 ovl /ovl && mkdir /ovl/upper /ovl/work || fail overlay tmpfs",
		// 9p is a fine lower layer (remote file systems are allowed there,
		// as NFS is); only the upper layer must be local.
		"mount -t overlay overlay -o lowerdir=/host,upperdir=/ovl/upper,workdir=/ovl/work /merged || fail mount overlay",
	}
	// The overlay shows only the host root's own files: mounts below /host
	// move onto it, submounts (dev/pts, dev/shm) with them.
	mounts := append([]string{"/dev", "/proc", "/sys"}, guestTmpfs...)
	// A run directory under a tmpfs moves with it.
	if _, ok := underTmpfs(o.RunDir); !ok {
		mounts = append(mounts, o.RunDir)
	}
	for _, m := range mounts {
		lines = append(lines, fmt.Sprintf("mount --move /host%s /merged%s || fail move %s", shQuote(m), shQuote(m), shQuote(m)))
	}
	lines = append(lines, "mount --move /merged /host || fail move the overlay root")
	o.Init = append(lines, o.Init...)
	return nil
}
