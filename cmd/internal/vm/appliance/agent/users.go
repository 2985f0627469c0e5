package agent

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// addUsers adds the users of a Buildroot makeusers table (username uid
// group gid password home shell groups comment...) to the guest's
// /etc/passwd and /etc/group, with their groups. -1 ids are allocated from
// 999 down, as system accounts; "-" home is /, "-" groups none. Users and
// groups that exist already are kept.
func addUsers(table, etc string) error {
	db, err := readAccounts(etc)
	if err != nil {
		return err
	}
	err = eachRow(table, func(n int, _ string, f []string) error {
		if len(f) < 8 {
			return fmt.Errorf("%s:%d: want username uid group gid password home shell groups comment", table, n)
		}
		name, uid, group, gid, home, shell := f[0], f[1], f[2], f[3], f[5], f[6]
		pgid := db.addGroup(group, gid)
		if home == "-" {
			home = "/"
		}
		if shell == "-" {
			shell = "/bin/false"
		}
		db.addUser(name, uid, pgid, strings.Join(f[8:], " "), home, shell)
		if f[7] != "-" {
			for _, g := range strings.Split(f[7], ",") {
				db.addGroup(g, "-1")
				db.addMember(g, name)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return db.write(etc)
}

// accounts is /etc/passwd and /etc/group as lines of fields.
type accounts struct {
	passwd, group [][]string
}

func readAccounts(etc string) (*accounts, error) {
	db := &accounts{}
	for _, f := range []struct {
		name string
		dst  *[][]string
	}{{"passwd", &db.passwd}, {"group", &db.group}} {
		b, err := os.ReadFile(etc + "/" + f.name)
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			*f.dst = append(*f.dst, strings.Split(l, ":"))
		}
	}
	return db, nil
}

// free returns the highest unused id below 1000 in column 2 of lines.
func free(lines [][]string) string {
	used := map[string]bool{}
	for _, l := range lines {
		if len(l) > 2 {
			used[l[2]] = true
		}
	}
	for id := 999; id > 100; id-- {
		if !used[strconv.Itoa(id)] {
			return strconv.Itoa(id)
		}
	}
	panic("no free system id") // 900 system accounts: not this guest
}

// addGroup returns name's gid, adding the group (with gid, or a free one for
// -1) if it does not exist.
func (db *accounts) addGroup(name, gid string) string {
	for _, l := range db.group {
		if l[0] == name {
			return l[2]
		}
	}
	if gid == "-1" {
		gid = free(db.group)
	}
	db.group = append(db.group, []string{name, "x", gid, ""})
	return gid
}

func (db *accounts) addMember(group, user string) {
	for _, l := range db.group {
		if l[0] == group && len(l) == 4 {
			members := strings.Split(l[3], ",")
			if !slices.Contains(members, user) {
				l[3] = strings.TrimPrefix(l[3]+","+user, ",")
			}
		}
	}
}

func (db *accounts) addUser(name, uid, gid, comment, home, shell string) {
	for _, l := range db.passwd {
		if l[0] == name {
			return
		}
	}
	if uid == "-1" {
		uid = free(db.passwd)
	}
	db.passwd = append(db.passwd, []string{name, "x", uid, gid, comment, home, shell})
}

func (db *accounts) write(etc string) error {
	for name, lines := range map[string][][]string{"passwd": db.passwd, "group": db.group} {
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(strings.Join(l, ":") + "\n")
		}
		if err := os.WriteFile(etc+"/"+name, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
