package vm

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// cpioFile is one entry of an initramfs.
type cpioFile struct {
	Name string // path without the leading slash
	Mode uint32 // permission bits; the type comes from Dir/Link
	Dir  bool
	Link string // symlink target
	Data []byte
}

// The newc header: magic then 13 eight-digit hex fields.
// https://docs.kernel.org/driver-api/early-userspace/buffer-format.html
const cpioMagic = "070701"

// writeCPIO writes files as a newc archive, the format the kernel unpacks
// into its initramfs. Directories are created for every parent, parents
// first, so the order callers pass does not matter.
func writeCPIO(w io.Writer, files []cpioFile) error {
	all := map[string]cpioFile{}
	for _, f := range files {
		f.Name = strings.Trim(f.Name, "/")
		if f.Name == "" {
			return fmt.Errorf("cpio: empty name")
		}
		for dir := parent(f.Name); dir != ""; dir = parent(dir) {
			if _, ok := all[dir]; !ok {
				all[dir] = cpioFile{Name: dir, Dir: true, Mode: 0o755}
			}
		}
		all[f.Name] = f
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names) // a parent sorts before its children
	ino := uint32(1)
	for _, n := range names {
		f := all[n]
		mode, data := f.Mode&0o7777, f.Data
		switch {
		case f.Dir:
			mode |= 0o040000
			data = nil
		case f.Link != "":
			mode |= 0o120000
			data = []byte(f.Link)
		default:
			mode |= 0o100000
		}
		if err := cpioEntry(w, ino, mode, n, data); err != nil {
			return err
		}
		ino++
	}
	return cpioEntry(w, 0, 0, "TRAILER!!!", nil)
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	return p[:i]
}

func cpioEntry(w io.Writer, ino, mode uint32, name string, data []byte) error {
	nlink := uint32(1)
	if mode&0o170000 == 0o040000 {
		nlink = 2
	}
	// ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor
	// rdevminor namesize check
	hdr := fmt.Sprintf("%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		cpioMagic, ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	buf := make([]byte, 0, len(hdr)+len(name)+8+len(data)+4)
	buf = append(buf, hdr...)
	buf = append(buf, name...)
	buf = append(buf, 0)
	buf = pad4(buf)
	buf = append(buf, data...)
	buf = pad4(buf)
	_, err := w.Write(buf)
	return err
}

// pad4 pads to a multiple of 4 bytes; header, name and data are each
// aligned, and the header is 110 bytes, so aligning the running buffer of
// one entry (which starts aligned) is the same thing.
func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
