package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/idkiosk/idkiosk/cmd/internal/vm/appliance"
)

// inGuest refuses to go on unless / is the overlay cmd/internal/vm's
// WritableRoot makes over the shared host root (lower layer /host): on any
// other machine the agent would rewrite its /etc.
func inGuest() error {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return err
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 4 && f[1] == "/" && f[2] == "overlay" && strings.Contains(","+f[3]+",", ",lowerdir=/host,") &&
			os.Getenv("IDKIOSK_VM_GUEST") == "1" {
			return nil
		}
	}
	return errors.New("agent: not in the virtual appliance's guest (root an overlay on /host, IDKIOSK_VM_GUEST=1); refusing to touch this system")
}

// applyOverlay copies a rootfs overlay onto /, as Buildroot copies
// BR2_ROOTFS_OVERLAY onto the target: directories merged, files and
// symlinks replaced, modes kept.
func applyOverlay(src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join("/", rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, info.Mode().Perm()|0o700)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			os.Remove(dst)
			return os.Symlink(target, dst)
		default:
			return copyFile(p, dst)
		}
	})
}

// copyFile replaces dst with a copy of src, with src's mode, owned by
// whoever copies (root).
func copyFile(src, dst string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	os.Remove(dst)
	if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
		return err
	}
	return os.Chmod(dst, info.Mode().Perm())
}

// install puts the host-built programs where the kioskd package installs
// them on the image (buildroot/package/kioskd), and makes modprobe work:
// the booted kernel's modules under /usr/lib/modules, and gpio-sim, which
// Debian's kernel lacks, mapped to the out-of-tree build.
func install(c *appliance.GuestConfig) error {
	// Copied, not linked: kioskd runs as its own user, who may not enter
	// the host directory they were built in (a checkout in root's home),
	// and the image installs them root-owned in /usr too.
	for dst, src := range map[string]string{
		"/usr/bin/kioskd":               filepath.Join(c.Bin, "kioskd"),
		"/usr/bin/kioskctl":             filepath.Join(c.Bin, "kioskctl"),
		"/usr/share/idkiosk/facefinder": filepath.Join(c.Bin, "facefinder"),
	} {
		if err := copyFile(src, dst); err != nil {
			return err
		}
	}
	links := map[string]string{
		"/usr/lib/modules/" + kernelVer(): c.Modules,
	}
	for link, target := range links {
		if _, err := os.Stat(target); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			return err
		}
		if err := os.RemoveAll(link); err != nil {
			return err
		}
		if err := os.Symlink(target, link); err != nil {
			return err
		}
	}
	conf := fmt.Sprintf("# make vm: Debian's kernel has no gpio-sim; this is its out-of-tree build.\n"+
		"install gpio_sim grep -qs '^gpiosim ' /proc/modules || insmod %s\n", c.GPIOSim)
	return os.WriteFile("/etc/modprobe.d/idkiosk-vm-gpio-sim.conf", []byte(conf), 0o644)
}

func kernelVer() string {
	var u syscall.Utsname
	syscall.Uname(&u)
	var b strings.Builder
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	return b.String()
}
