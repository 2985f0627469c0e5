// Package agent runs inside the virtual appliance's guest (see package
// appliance) and stands in for systemd and the technician of
// buildroot/README.md: it applies the image's rootfs overlays and users,
// mounts the data disk through the image's fstab, applies its tmpfiles.d,
// runs the gpio-sim unit, writes the device config from the image's
// template, enrolls the kiosk with kioskctl on first boot, and supervises
// kioskd as kioskd.service describes it. It also plays the camera's
// scenes into vivid, relays the host's connections to kioskd's
// loopback-only UI, and serves the rig (appliance/rig.go).
//
// It refuses to run anywhere but in a guest whose root is the tmpfs
// overlay cmd/internal/vm.WritableRoot makes: it rewrites /etc/passwd,
// /etc/fstab and more.
package agent
