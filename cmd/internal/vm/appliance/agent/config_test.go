package agent

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSetTOML(t *testing.T) {
	const tmpl = "# the template\n[device]\n# Replaced at enrollment.\nid = \"unenrolled\"\ndata_dir = \"/data/idkiosk\"\n\n[ui]\nlisten = \"127.0.0.1:8080\"\n"
	got := setTOML(tmpl, map[string]string{
		"device.id":    `"vm-kiosk-1"`,
		"ui.listen":    `"127.0.0.1:8081"`,
		"ui.demo":      `false`,
		"admin.listen": `":8443"`,
	})
	want := "# the template\n[device]\n# Replaced at enrollment.\nid = \"vm-kiosk-1\"\ndata_dir = \"/data/idkiosk\"\n\n[ui]\ndemo = false\nlisten = \"127.0.0.1:8081\"\n\n\n[admin]\nlisten = \":8443\""
	if got != want {
		t.Errorf("setTOML:\n%s\nwant:\n%s", got, want)
	}
	if addr, err := uiAddr(got); err != nil || addr != "127.0.0.1:8081" {
		t.Errorf("uiAddr = %q, %v; want 127.0.0.1:8081", addr, err)
	}
}

// The image's makeusers table, added to a Debian-like /etc: users with
// their groups, missing groups made, and nothing doubled on a second run.
func TestAddUsers_ImageTable(t *testing.T) {
	etc := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("passwd", "root:x:0:0:root:/root:/bin/bash\nsystemd:x:999:999::/:/usr/sbin/nologin\n")
	write("group", "root:x:0:\nvideo:x:44:\nsystemd:x:999:\n")
	table := overlay(t, "users.txt")
	for range 2 {
		if err := addUsers(table, etc); err != nil {
			t.Fatal(err)
		}
	}
	db, err := readAccounts(etc)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string][]string{}
	for _, l := range db.passwd {
		if _, dup := users[l[0]]; dup {
			t.Errorf("user %s twice", l[0])
		}
		users[l[0]] = l
	}
	groups := map[string][]string{}
	for _, l := range db.group {
		groups[l[0]] = l
	}
	k := users["kioskd"]
	if k == nil || k[2] == "999" || k[3] != groups["kioskd"][2] || k[6] != "/bin/false" {
		t.Fatalf("kioskd = %v, want a fresh uid, primary group kioskd, no shell", k)
	}
	for _, g := range []string{"video", "gpio"} {
		if members := strings.Split(groups[g][3], ","); !slices.Contains(members, "kioskd") {
			t.Errorf("group %s = %v, want kioskd a member", g, groups[g])
		}
	}
	if groups["video"][2] != "44" {
		t.Errorf("video gid %s, want the existing 44", groups["video"][2])
	}
}

// tmpfiles "d" makes a directory or fixes an existing one's mode; "Z"
// applies recursively; other types are reported, not guessed at.
func TestApplyTmpfiles(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	if err := os.MkdirAll(filepath.Join(existing, "sub"), 0o777); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "x.conf")
	text := "# comment\nd " + filepath.Join(dir, "new", "deep") + " 0750 - - -\nd " + existing + " 0700 root root -\nZ " + existing + " - root root -\nL /etc/foo - - - - /bar\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var skipped []string
	if err := applyTmpfiles(conf, func(l string) { skipped = append(skipped, l) }); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{filepath.Join(dir, "new", "deep"): 0o750, existing: 0o700} {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want mode %v", p, st.Mode(), err, want)
		}
	}
	if len(skipped) != 1 || !strings.HasPrefix(skipped[0], "L ") {
		t.Errorf("skipped %q, want the L line", skipped)
	}
}

// Anywhere but the guest (here: the test's machine), the agent does
// nothing: it would rewrite /etc/passwd and /etc/fstab.
func TestInGuest_RefusesOutsideTheVM(t *testing.T) {
	t.Setenv("IDKIOSK_VM_GUEST", "1")
	if err := inGuest(); err == nil {
		t.Fatal("inGuest() = nil outside the VM")
	}
	if err := Run(t.Context(), "/nonexistent", io.Discard); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("Run outside the VM = %v, want a refusal", err)
	}
}
