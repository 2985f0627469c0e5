package diag

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/idkiosk/idkiosk/capture"
)

// system is where the device checks look; tests point it at a fake tree.
type system struct {
	proc    string // /proc
	sysV4L  string // /sys/class/video4linux
	dev     string // /dev
	byID    string // /dev/v4l/by-id
	self    int    // our pid, never reported as the holder
	access  func(path string, mode uint32) error
	uid     int
	gids    func() []int
	userOf  func(uid int) string
	groupOf func(gid int) string
}

func realSystem() system {
	return system{
		proc: "/proc", sysV4L: "/sys/class/video4linux", dev: "/dev", byID: "/dev/v4l/by-id",
		self:   os.Getpid(),
		access: syscall.Access,
		uid:    os.Geteuid(),
		gids: func() []int {
			g, _ := os.Getgroups()
			return append(g, os.Getegid())
		},
		userOf: func(uid int) string {
			if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
				return u.Username
			}
			return "uid " + strconv.Itoa(uid)
		},
		groupOf: func(gid int) string {
			if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
				return g.Name
			}
			return "gid " + strconv.Itoa(gid)
		},
	}
}

// accessRW is R_OK|W_OK for access(2).
const accessRW = 4 | 2

// deviceChecks runs the checks that look at the device node. runner is the
// Runner's state: the busy check only searches /proc when the Runner saw
// EBUSY.
func (s system) deviceChecks(device string, runner capture.State) []Result {
	node, st, err := s.stat(device)
	present := err == nil
	var out []Result
	if present {
		out = append(out, result(CheckPresent, OK, "ok", map[string]string{"device": device, "node": node}))
	} else {
		out = append(out, result(CheckPresent, Fail, "fail", map[string]string{"device": device}))
	}

	if !present {
		out = append(out, result(CheckPermission, Skip, "skip", map[string]string{"device": device}))
	} else {
		out = append(out, s.permission(device, node, st))
	}

	switch {
	case !present:
		out = append(out, result(CheckBusy, Skip, "skip", map[string]string{"device": device}))
	case runner != capture.StateBusy:
		out = append(out, result(CheckBusy, OK, "ok", map[string]string{"device": device}))
	default:
		if h := s.holders(st); len(h) > 0 {
			out = append(out, result(CheckBusy, Fail, "fail", map[string]string{
				"device": device, "process": h[0].name, "pid": strconv.Itoa(h[0].pid),
			}))
		} else {
			out = append(out, result(CheckBusy, Fail, "unknown", map[string]string{"device": device}))
		}
	}

	if present {
		out = append(out, result(CheckWrong, OK, "ok", map[string]string{"device": device}))
	} else if cams := s.cameras(); len(cams) > 0 {
		var found []string
		for _, c := range cams {
			where := c.Node
			if len(c.ByID) > 0 {
				where = c.ByID[0]
			}
			found = append(found, fmt.Sprintf("%s (%s)", c.Name, where))
		}
		out = append(out, result(CheckWrong, Fail, "fail", map[string]string{"device": device, "found": strings.Join(found, ", ")}))
	} else {
		out = append(out, result(CheckWrong, Skip, "skip", map[string]string{"device": device}))
	}
	return out
}

// stat follows device (a by-id link, usually) to the node.
func (s system) stat(device string) (string, *syscall.Stat_t, error) {
	node, err := filepath.EvalSymlinks(device)
	if err != nil {
		return "", nil, err
	}
	var st syscall.Stat_t
	if err := syscall.Stat(node, &st); err != nil {
		return "", nil, err
	}
	return node, &st, nil
}

// permission checks that kioskd may open the node for reading and writing,
// and if not, says which group to join or that the node's mode is wrong.
func (s system) permission(device, node string, st *syscall.Stat_t) Result {
	p := map[string]string{
		"device": device, "node": node,
		"user":  s.userOf(s.uid),
		"group": s.groupOf(int(st.Gid)),
		"owner": s.userOf(int(st.Uid)),
		"mode":  fmt.Sprintf("%04o", st.Mode&0o7777),
	}
	if err := s.access(node, accessRW); err == nil {
		return result(CheckPermission, OK, "ok", p)
	}
	groupRW := st.Mode&0o060 == 0o060
	if groupRW && !slices.Contains(s.gids(), int(st.Gid)) {
		return result(CheckPermission, Fail, "join_group", p)
	}
	return result(CheckPermission, Fail, "mode", p)
}

type holder struct {
	pid  int
	name string
}

// holders finds the processes with the node open by scanning /proc/*/fd.
// Processes of other users are invisible unless we are root: the caller
// reports "unknown" then.
func (s system) holders(st *syscall.Stat_t) []holder {
	procs, err := os.ReadDir(s.proc)
	if err != nil {
		return nil
	}
	var out []holder
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == s.self {
			continue
		}
		fdDir := filepath.Join(s.proc, p.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link := filepath.Join(fdDir, fd.Name())
			// readlink first: it is cheap and rules out sockets, pipes
			// and files without a stat each.
			target, err := os.Readlink(link)
			if err != nil || !strings.HasPrefix(target, "/") {
				continue
			}
			var fst syscall.Stat_t
			if syscall.Stat(link, &fst) != nil || fst.Mode&syscall.S_IFMT != syscall.S_IFCHR || fst.Rdev != st.Rdev {
				continue
			}
			name, _ := os.ReadFile(filepath.Join(s.proc, p.Name(), "comm"))
			out = append(out, holder{pid: pid, name: strings.TrimSpace(string(name))})
			break
		}
	}
	slices.SortFunc(out, func(a, b holder) int { return a.pid - b.pid })
	return out
}

// cameras lists the video capture nodes from sysfs without opening them.
// A UVC camera registers a capture node (index 0) and a metadata node
// (index 1); only index 0 is a camera to a person.
func (s system) cameras() []Camera {
	entries, err := os.ReadDir(s.sysV4L)
	if err != nil {
		return nil
	}
	byID := map[string][]string{}
	if links, err := os.ReadDir(s.byID); err == nil {
		for _, l := range links {
			// udev's links are relative, one hop: ../../video0.
			p := filepath.Join(s.byID, l.Name())
			if t, err := os.Readlink(p); err == nil {
				byID[filepath.Base(t)] = append(byID[filepath.Base(t)], p)
			}
		}
	}
	var out []Camera
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "video") {
			continue
		}
		dir := filepath.Join(s.sysV4L, e.Name())
		if idx, err := os.ReadFile(filepath.Join(dir, "index")); err == nil && strings.TrimSpace(string(idx)) != "0" {
			continue
		}
		node := filepath.Join(s.dev, e.Name())
		if _, err := os.Stat(node); err != nil {
			continue
		}
		name, _ := os.ReadFile(filepath.Join(dir, "name"))
		out = append(out, Camera{Node: node, Name: strings.TrimSpace(string(name)), ByID: byID[e.Name()]})
	}
	slices.SortFunc(out, func(a, b Camera) int { return strings.Compare(a.Node, b.Node) })
	return out
}
