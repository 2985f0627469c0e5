// Package appliance boots the virtual appliance of `make vm`: Debian's
// kernel under qemu (cmd/internal/vm) made to look like the idkiosk image,
// with kioskd as its main service, vivid as the camera and gpio-sim as the
// cradle.
//
// The guest is Debian's userland (the host root, shared read-only) under a
// tmpfs overlay onto which the image's own rootfs overlays are copied
// (buildroot/board/common and board/qemu_x86_64: the kioskd.toml template,
// kioskd.service, tmpfiles, fstab, the gpio-sim setup script), the image's
// users are added (board/common/users.txt) and the data partition is a
// virtio disk labelled idkdata that the image's fstab mounts at /data. A
// small agent (package agent) then does what systemd and a technician do on
// the image: mounts, tmpfiles, the gpio-sim unit, the device config from
// the template, enrollment with kioskctl, and kioskd run as
// kioskd.service says (user, groups, umask, restart, stop timeout,
// watchdog).
//
// Differences from the image, on purpose:
//   - Debian's kernel and userland, not Buildroot's; no systemd: the agent
//     applies the parts of the units listed in agent/service.go and logs
//     the rest (the sandboxing) as not applied; it does not wait for
//     READY=1 before going on, but says when systemd would have failed
//     the start.
//   - gpio-sim is built out of tree (device/cradle/gpio/gpiosim); a
//     modprobe.d install line maps gpio-sim to it.
//   - vivid has an HDMI input looped from its own video output instead of
//     the image's webcam input, so the camera can show a picture: the agent
//     plays the simulated camera's scenes (capture/simcam, the same pictures
//     `make run` shows) into the output, following the learner's step as
//     kioskd's simulated camera does. kioskd still opens /dev/video0 with
//     go4vl and judges real V4L2 frames.
//   - No kiosk browser in the guest: the agent relays the guest's network
//     port to kioskd's loopback-only UI, so a browser on the host is the
//     touchscreen. The admin listener faces the network as on the image.
//   - The device config is rewritten from the image's template on every
//     boot (like `make run`), so template changes show at once; the
//     identity from enrollment persists on the data disk.
//
// The console shows "schedule_timeout: wrong timeout value" every few
// seconds: vivid's capture and output threads compute their next wait from
// jiffies read twice, and under TCG the second read may already be past
// the deadline. The wait is then skipped; nothing is lost.
//
// Networking is qemu's user mode with restrict=on: the host reaches the UI,
// the admin listener and the agent's rig port (the learner's hands: place
// the card, pin a scene, power off) through loopback forwards, and the
// guest reaches nothing but the verification service at ServiceGuestAddr,
// which a guestfwd relays to verifyd on the host.
package appliance
