package vm

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// busyboxPath is Debian's busybox-static: a static binary, so it runs in an
// initramfs with no libc.
const busyboxPath = "/bin/busybox"

// Modules the guest needs before it can see the host: virtio-pci for the
// devices, 9p for the shared file systems, and virtio-net for forwards.
var (
	bootModules = []string{"virtio_pci", "9pnet_virtio", "9p"}
	netModules  = []string{"virtio_net"}
)

// msize is the 9p message size. The 6.1 default (8 KiB) makes loading a
// 40 MB Go binary over 9p take seconds; 512 KiB is the virtio transport's
// limit.
const msize = 512 << 10

// writeInitramfs writes the guest's initramfs to dst.
func writeInitramfs(dst string, o Options) error {
	bb, err := os.ReadFile(busyboxPath)
	if err != nil {
		return fmt.Errorf("vm: busybox-static: %w", err)
	}
	files := []cpioFile{{Name: "bin/busybox", Mode: 0o755, Data: bb}}

	early := bootModules
	if o.networked() {
		early = append(append([]string(nil), bootModules...), netModules...)
	}
	earlyMods, err := o.Kernel.Resolve(early...)
	if err != nil {
		return err
	}
	var earlyNames []string
	for _, m := range earlyMods {
		data, err := os.ReadFile(filepath.Join(o.Kernel.ModulesDir(), m))
		if err != nil {
			return err
		}
		name := path.Base(m)
		files = append(files, cpioFile{Name: "lib/vm-boot/" + name, Mode: 0o644, Data: data})
		earlyNames = append(earlyNames, name)
	}

	var late []string // host paths, dependencies first, each with its params
	loaded := map[string]bool{}
	for _, m := range earlyMods {
		loaded[m] = true
	}
	for _, mod := range o.Modules {
		chain, err := o.Kernel.Resolve(mod.Name)
		if err != nil {
			return err
		}
		for i, m := range chain {
			if loaded[m] {
				continue
			}
			loaded[m] = true
			line := shQuote("/host" + filepath.Join(o.Kernel.ModulesDir(), m))
			if i == len(chain)-1 && mod.Params != "" {
				line += " " + mod.Params
			}
			late = append(late, line)
		}
	}

	for p, content := range o.Files {
		files = append(files, cpioFile{Name: p, Mode: 0o644, Data: []byte(content)})
	}
	files = append(files, cpioFile{Name: "init", Mode: 0o755, Data: []byte(initScript(o, earlyNames, late))})

	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := writeCPIO(w, files); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// initScript is the guest's /init. Any setup failure writes exit status 125
// and powers off, so Wait reports it instead of hanging.
func initScript(o Options, early, late []string) string {
	run := "/host" + o.RunDir
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("#!/bin/busybox sh")
	w("/bin/busybox --install -s /bin")
	w("export PATH=/bin")
	w("mkdir -p /proc /sys /dev /host /tmp")
	w("mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev")
	w(`fail() { echo "vm-init: $*"; [ -d %s ] && echo 125 > %s/exit; sync; poweroff -f; }`, shQuote(run), shQuote(run))
	for _, m := range early {
		w("insmod /lib/vm-boot/%s || fail insmod %s", shQuote(m), shQuote(m))
	}
	// The host root is read-only, so the page cache may keep what it read
	// (cache=loose); the run directory is written by both sides, so no
	// cache there.
	w("mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=%d hostroot /host || fail mount host root", msize)
	w("mount -t 9p -o trans=virtio,version=9p2000.L,msize=%d run %s || fail mount run dir", msize, shQuote(run))
	w("ifconfig lo 127.0.0.1 up")
	if o.networked() {
		// qemu user networking's fixed addresses.
		w("ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && route add default gw 10.0.2.2 || fail network")
	}
	for _, m := range late {
		w("insmod %s || fail insmod %s", m, shQuote(m))
	}
	w("for d in dev proc sys; do mount --bind /$d /host/$d || fail bind $d; done")
	w("mkdir -p /host/dev/pts /host/dev/shm && mount -t devpts devpts /host/dev/pts && mount -t tmpfs -o mode=1777 shm /host/dev/shm")
	// A kept directory (a checkout under /tmp) is lifted out before its
	// tmpfs covers it and put back on top, with the run directory's mount
	// inside it.
	kept := keptUnderTmpfs(o)
	for i, k := range kept {
		w("mkdir -p /keep/%d && mount --rbind /host%s /keep/%d || fail keep %s", i, shQuote(k), i, shQuote(k))
	}
	for _, t := range guestTmpfs {
		w("mount -t tmpfs -o mode=1777 tmpfs /host%s || fail tmpfs %s", t, t)
	}
	for i, k := range kept {
		w("mkdir -p /host%s && mount --move /keep/%d /host%s || fail keep %s", shQuote(k), i, shQuote(k), shQuote(k))
	}
	for _, l := range o.Init {
		w("%s", l)
	}
	dir := o.Dir
	if dir == "" {
		dir = "/"
	}
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TMPDIR=/tmp", "LANG=C.UTF-8"}
	env = append(env, o.Env...)
	var cmd []string
	for _, a := range o.Command {
		cmd = append(cmd, shQuote(a))
	}
	inner := "cd " + shQuote(dir) + " && exec " + strings.Join(cmd, " ")
	var envq []string
	for _, e := range env {
		envq = append(envq, shQuote(e))
	}
	w("cat /proc/uptime > %s/uptime", shQuote(run))
	w("chroot /host /usr/bin/env -i %s /bin/sh -c %s > %s/output 2>&1 < /dev/null", strings.Join(envq, " "), shQuote(inner), shQuote(run))
	w("echo $? > %s/exit", shQuote(run))
	w("sync")
	w("poweroff -f")
	return b.String()
}

// shQuote quotes s for sh: single quotes, with each ' spelled '\”.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
