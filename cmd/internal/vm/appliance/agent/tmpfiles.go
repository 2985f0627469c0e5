package agent

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// applyTmpfiles carries out a tmpfiles.d(5) file's "d" (make a directory,
// or fix the mode and owner of an existing one) and "Z" (set owner, and
// mode unless "-", recursively) lines, as systemd-tmpfiles --create does at
// boot. Other line types are reported and skipped.
func applyTmpfiles(path string, skipped func(line string)) error {
	return eachRow(path, func(n int, line string, f []string) error {
		for len(f) < 5 {
			f = append(f, "-")
		}
		typ, p, mode, owner, group := f[0], f[1], f[2], f[3], f[4]
		uid, gid, err := ids(owner, group)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
		switch typ {
		case "d":
			m := os.FileMode(0o755)
			if mode != "-" {
				v, err := strconv.ParseUint(mode, 8, 32)
				if err != nil {
					return fmt.Errorf("%s:%d: mode %q", path, n, mode)
				}
				m = os.FileMode(v)
			}
			if err := os.MkdirAll(p, m); err != nil {
				return err
			}
			if err := os.Chmod(p, m); err != nil {
				return err
			}
			if err := os.Lchown(p, uid, gid); err != nil {
				return err
			}
		case "Z":
			if mode != "-" {
				skipped(line + " (mode)")
			}
			err := filepath.WalkDir(p, func(q string, _ fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				return os.Lchown(q, uid, gid)
			})
			if err != nil {
				return err
			}
		default:
			skipped(line)
		}
		return nil
	})
}

// ids resolves a tmpfiles owner and group ("-": root).
func ids(owner, group string) (int, int, error) {
	uid, gid := 0, 0
	if owner != "-" {
		u, err := user.Lookup(owner)
		if err != nil {
			return 0, 0, err
		}
		uid, _ = strconv.Atoi(u.Uid)
	}
	if group != "-" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return 0, 0, err
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	return uid, gid, nil
}
