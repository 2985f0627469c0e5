// Package vm boots Debian's own kernel under qemu (TCG) and runs one
// command inside it, with the host's root file system shared read-only, so
// tests exercise real kernel drivers (vivid as a camera, gpio-sim as a
// cradle) through the same binaries the host built.
//
// How a run goes:
//
//  1. EnsureKernel downloads Debian's current amd64 kernel package once
//     (`apt-cache depends linux-image-amd64` names the ABI, `apt-get
//     download`, `dpkg-deb -x`, `depmod`) into .cache/vm, under a file lock
//     so parallel test processes share one download.
//  2. Start writes an initramfs (newc cpio, written in Go): a static
//     busybox, the virtio and 9p modules, and an init script.
//  3. qemu boots it with plain TCG (KVM hangs on these machines). The init
//     script mounts the host's / read-only over virtio-9p at /host, a
//     writable share at the run directory's own path, loads the modules the
//     caller asked for (with their modules.dep chain), mounts tmpfs on /tmp,
//     /run and /var/tmp, and chroots into the host root, so dynamically
//     linked host programs (v4l2-ctl, ustreamer, cgo binaries) just run.
//  4. The command's output and exit status land in the run directory;
//     the guest powers off and Wait returns them.
//
// Networking is qemu user mode with restrict=on: the guest reaches nothing
// but the host ports the caller forwards (Options.Forward).
//
// Debian packages needed on the host: qemu-system-x86, busybox-static, kmod
// (depmod), plus apt and dpkg. Tests call Require, which skips when they are
// missing unless IDKIOSK_VM=require (set by `make test`).
//
// Measured on the 2-core dev machine: boot to the command ~5 s; the kernel
// download and extraction ~5 s once.
package vm
