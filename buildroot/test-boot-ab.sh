#!/bin/bash
# test-boot-ab.sh boots the image layouts with the real bootloaders under qemu
# and checks the A/B decisions the update story rests on: which slot starts,
# what the boot state says afterwards, and the fallback when a new image is
# never confirmed. The disks come from this tree's own post-image scripts and
# genimage configs; the slots hold tiny fake kernels that GRUB or U-Boot
# accept and start (they spin), so no kernel or Buildroot build is needed.
#
#   GRUB (qemu_x86_64): Debian's GRUB built with the defconfig's module list,
#     booted from the disk; the A/B state lives in grubenv and persists.
#   U-Boot (raspberrypi4_64): boot.cmd in Debian's U-Boot for qemu_arm64.
#     qemu's flash refuses U-Boot's environment writes, so each run starts
#     from a state.env that a wrapper script imports; the checks read the
#     attempts boot.cmd prints.
set -eu

tree=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
qemu_pid=
cleanup() {
	if [ -n "$qemu_pid" ]; then
		kill "$qemu_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# A skip passes, unless IDKIOSK_BUILDROOT=require (make test) says the
# tools must be there.
skip() {
	[ "${IDKIOSK_BUILDROOT:-}" = require ] && exit 1
	exit 0
}

need="qemu-system-x86_64 qemu-system-aarch64 grub-mkimage grub-editenv mkimage genimage mcopy mkfs.vfat mke2fs"
for tool in $need; do
	if ! command -v "$tool" >/dev/null; then
		echo "skipped: $tool missing (Debian: apt-get install qemu-system-x86 qemu-system-arm u-boot-qemu grub-pc-bin u-boot-tools genimage mtools dosfstools)"
		skip
	fi
done
uboot_qemu=/usr/lib/u-boot/qemu_arm64/u-boot.bin
grub_dir=/usr/lib/grub/i386-pc
for f in "$uboot_qemu" "$grub_dir/boot.img"; do
	if [ ! -e "$f" ]; then
		echo "skipped: $f missing (Debian: apt-get install u-boot-qemu grub-pc-bin)"
		skip
	fi
done

failures=0
check() { # name want got
	if [ "$2" = "$3" ]; then
		echo "ok  $1"
	else
		echo "FAIL $1: got $3, want $2"
		failures=$((failures + 1))
	fi
}

# put FILE OFFSET BYTES...: write bytes (two hex digits each) at OFFSET.
put() {
	local file=$1 offset=$2 bytes=""
	shift 2
	for b in "$@"; do
		bytes="$bytes\\x$b"
	done
	# shellcheck disable=SC2059 # the format is the escaped bytes
	printf "$bytes" | dd of="$file" bs=1 seek="$((offset))" conv=notrunc status=none
}

# A bzImage header GRUB's 32-bit Linux loader accepts; the protected-mode
# code is `jmp $`.
fake_bzimage() {
	truncate -s 1536 "$1"
	put "$1" 0x1f1 01             # setup_sects
	put "$1" 0x1fe 55 aa          # boot_flag
	put "$1" 0x202 48 64 72 53    # "HdrS"
	put "$1" 0x206 0f 02          # boot protocol 2.15
	put "$1" 0x211 01             # loadflags: LOADED_HIGH
	put "$1" 0x214 00 00 10 00    # code32_start
	put "$1" 0x230 00 00 20 00    # kernel_alignment
	put "$1" 0x260 00 00 10 00    # init_size
	put "$1" 0x400 eb fe          # jmp $
}

# An arm64 Image header booti accepts; the first instruction is `b .`.
fake_arm64_image() {
	truncate -s 4096 "$1"
	put "$1" 0x00 00 00 00 14     # b .
	put "$1" 0x10 00 10           # image_size 4096
	put "$1" 0x18 0a              # flags: little endian, 4K pages
	put "$1" 0x38 41 52 4d 64     # "ARM\x64"
}

# boot_qemu SERIAL DONE-PATTERN QEMU-ARGS...: run qemu until the serial log
# shows DONE-PATTERN (a kernel started), qemu exits (a bootloader reset
# with -no-reboot), or 30 s pass.
boot_qemu() {
	local serial=$1 done=$2 _
	shift 2
	rm -f "$serial"
	"$@" -display none -no-reboot -serial "file:$serial" 2>/dev/null &
	qemu_pid=$!
	for _ in $(seq 1 300); do
		if grep -aq "$done" "$serial" 2>/dev/null || ! kill -0 "$qemu_pid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	# A slot without a kernel makes the bootloader save its state and
	# reset: give it the moment to finish.
	for _ in $(seq 1 30); do
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$qemu_pid" 2>/dev/null || true
	wait "$qemu_pid" 2>/dev/null || true
	qemu_pid=
}

export BR2_CONFIG="$work/br2.config"
: >"$BR2_CONFIG"

echo "== GRUB A/B (qemu_x86_64 layout)"
g=$work/grub
mkdir -p "$g/bin" "$g/target/lib/grub/i386-pc" "$g/target/etc/rauc" "$g/target/usr/lib" "$g/build" "$g/root/boot"
cp "$grub_dir/boot.img" "$g/target/lib/grub/i386-pc/"
cp "$tree/board/qemu_x86_64/rootfs-overlay/etc/rauc/system.conf" "$g/target/etc/rauc/"
echo IMAGE_VERSION=test >"$g/target/usr/lib/os-release"
modules=$(sed -n 's/^BR2_TARGET_GRUB2_BUILTIN_MODULES_PC="\(.*\)"$/\1/p' "$tree/configs/idkiosk_qemu_x86_64_defconfig")
# Test only: GRUB's console on the serial port, so the test can read it.
printf 'serial --unit=0 --speed=115200\nterminal_output serial\n' >"$g/serial.cfg"
# shellcheck disable=SC2086 # one argument per module
grub-mkimage -d "$grub_dir" -O i386-pc -o "$g/bin/grub.img" -c "$g/serial.cfg" \
	-p '(hd0,msdos1)/boot/grub' $modules serial terminal
fake_bzimage "$g/root/boot/bzImage"
truncate -s 8M "$g/bin/rootfs.ext4"
mke2fs -q -t ext4 -L rootfs -d "$g/root" "$g/bin/rootfs.ext4"
TARGET_DIR=$g/target BUILD_DIR=$g/build "$tree/board/qemu_x86_64/post-image.sh" "$g/bin" qemu_x86_64
TARGET_DIR=$g/target BUILD_DIR=$g/build "$tree/board/common/post-image.sh" "$g/bin" qemu_x86_64 >"$g/post-image.log" 2>&1 ||
	{ cat "$g/post-image.log"; exit 1; }
disk=$g/bin/disk.img
boot_part=$((1 << 20))
slot_b=$((529 << 20))
grubenv_get() {
	mcopy -n -i "$disk@@$boot_part" ::/boot/grub/grubenv - | grep -a '=' | tr '\n' ' ' | sed 's/ $//'
}
grubenv_set() {
	mcopy -n -i "$disk@@$boot_part" ::/boot/grub/grubenv "$g/env"
	grub-editenv "$g/env" set "$@"
	mcopy -o -n -i "$disk@@$boot_part" "$g/env" ::/boot/grub/grubenv
}
grub_boot() { # prints the slot GRUB started a kernel from, or "none"
	boot_qemu "$g/serial" 'idkiosk: booting slot' \
		qemu-system-x86_64 -m 128 -drive "file=$disk,if=virtio,format=raw,cache=writethrough"
	if grep -aq 'has no bootable kernel' "$g/serial"; then
		echo none
	else
		grep -ao 'idkiosk: booting slot [AB]' "$g/serial" | head -n 1 | sed 's/.* //' || echo none
	fi
}

check "factory image: slot A" A "$(grub_boot)"
check "  its try is recorded" "ORDER=A B A_OK=1 A_TRY=1 B_OK=0 B_TRY=0" "$(grubenv_get)"
grubenv_set A_TRY=0 # the health gate: rauc status mark-good
dd if="$g/bin/rootfs.ext4" of="$disk" bs=1M seek=$((slot_b >> 20)) conv=notrunc status=none
grubenv_set "ORDER=B A" B_OK=1 B_TRY=0 # rauc install: B is primary
check "new image in B: tried" B "$(grub_boot)"
check "  its try is recorded" "ORDER=B A A_OK=1 A_TRY=0 B_OK=1 B_TRY=1" "$(grubenv_get)"
check "B never confirmed: next boot falls back to A" A "$(grub_boot)"
grubenv_set A_TRY=0
check "A confirmed again: B stays skipped" A "$(grub_boot)"
grubenv_set A_TRY=1 B_TRY=1
check "every slot tried, none confirmed: start over with ORDER's first" B "$(grub_boot)"
check "  tries reset" "ORDER=B A A_OK=1 A_TRY=0 B_OK=1 B_TRY=1" "$(grubenv_get)"
grubenv_set B_TRY=0
dd if=/dev/zero of="$disk" bs=1M seek=$((slot_b >> 20)) count=8 conv=notrunc status=none
check "slot B without a kernel: GRUB resets" none "$(grub_boot)"
check "  and marks B unusable" "ORDER=B A A_OK=1 A_TRY=0 B_OK=0 B_TRY=1" "$(grubenv_get)"
check "  then starts A" A "$(grub_boot)"

echo "== U-Boot A/B (raspberrypi4_64 layout, boot.cmd)"
u=$work/uboot
mkdir -p "$u/bin/rpi-firmware/overlays" "$u/target/etc/rauc" "$u/target/usr/lib" "$u/build" "$u/root/boot"
cp "$tree/board/raspberrypi4_64/rootfs-overlay/etc/rauc/system.conf" "$u/target/etc/rauc/"
echo IMAGE_VERSION=test >"$u/target/usr/lib/os-release"
cp "$tree/board/raspberrypi4_64/config.txt" "$u/bin/rpi-firmware/config.txt"
touch "$u/bin/rpi-firmware/start4.elf" "$u/bin/rpi-firmware/overlays/README" "$u/bin/bcm2711-rpi-4-b.dtb"
cp "$uboot_qemu" "$u/bin/u-boot.bin"
mkimage -A arm64 -T script -C none -n idkiosk -d "$tree/board/raspberrypi4_64/boot.cmd" "$u/bin/boot.scr" >/dev/null
fake_arm64_image "$u/root/boot/Image"
truncate -s 8M "$u/bin/rootfs.ext4"
mke2fs -q -t ext4 -L rootfs -d "$u/root" "$u/bin/rootfs.ext4"
TARGET_DIR=$u/target BUILD_DIR=$u/build "$tree/board/raspberrypi4_64/post-image.sh" "$u/bin" raspberrypi4_64
TARGET_DIR=$u/target BUILD_DIR=$u/build "$tree/board/common/post-image.sh" "$u/bin" raspberrypi4_64 >"$u/post-image.log" 2>&1 ||
	{ cat "$u/post-image.log"; exit 1; }
disk=$u/bin/sdcard.img
boot_part=$((4 << 20))
slot_b=$((580 << 20))
dd if="$u/bin/rootfs.ext4" of="$disk" bs=1M seek=$((slot_b >> 20)) conv=notrunc status=none
# Distro boot runs /boot.scr: a wrapper that imports the starting state,
# then runs boot.cmd as idkiosk.scr.
mcopy -n -i "$disk@@$boot_part" "$u/bin/boot.scr" ::/idkiosk.scr
cat >"$u/wrapper.cmd" <<'EOF'
if load virtio 0:1 ${scriptaddr} state.env; then env import -t ${scriptaddr} ${filesize}; fi
load virtio 0:1 ${scriptaddr} idkiosk.scr
source ${scriptaddr}
EOF
mkimage -A arm64 -T script -C none -n wrapper -d "$u/wrapper.cmd" "$u/wrapper.scr" >/dev/null
mcopy -o -n -i "$disk@@$boot_part" "$u/wrapper.scr" ::/boot.scr
truncate -s 64M "$u/flash0.img" "$u/flash1.img"
dd if="$uboot_qemu" of="$u/flash0.img" conv=notrunc status=none
uboot_boot() { # STATE: prints what boot.cmd said, and whether a kernel started
	if [ -n "$1" ]; then
		printf '%b' "$1" >"$u/state.env"
		mcopy -o -n -i "$disk@@$boot_part" "$u/state.env" ::/state.env
	else
		mdel -i "$disk@@$boot_part" ::/state.env 2>/dev/null || true
	fi
	boot_qemu "$u/serial" 'Starting kernel' \
		qemu-system-aarch64 -M virt -cpu cortex-a57 -m 256 \
		-drive "if=pflash,format=raw,index=0,file=$u/flash0.img,readonly=on" \
		-drive "if=pflash,format=raw,index=1,file=$u/flash1.img" \
		-drive "file=$disk,if=none,id=d0,format=raw" -device virtio-blk-device,drive=d0
	grep -a '^idkiosk:' "$u/serial" | tr -d '\r' | sed 's/^idkiosk: //' | tr '\n' '|'
	if grep -aq 'Starting kernel' "$u/serial"; then
		echo started
	else
		echo reset
	fi
}
check "factory image: slot A, one try spent" \
	"booting slot A (A left 2, B left 0)|started" "$(uboot_boot '')"
check "confirmed A (mark-good gave it 3)" \
	"booting slot A (A left 2, B left 0)|started" "$(uboot_boot 'BOOT_ORDER=A B\nBOOT_A_LEFT=3\nBOOT_B_LEFT=0\n')"
check "new image in B (rauc install: B first, 3 tries)" \
	"booting slot B (A left 3, B left 2)|started" "$(uboot_boot 'BOOT_ORDER=B A\nBOOT_A_LEFT=3\nBOOT_B_LEFT=3\n')"
check "B's last try" \
	"booting slot B (A left 3, B left 0)|started" "$(uboot_boot 'BOOT_ORDER=B A\nBOOT_A_LEFT=3\nBOOT_B_LEFT=1\n')"
check "B never confirmed, out of tries: falls back to A" \
	"booting slot A (A left 2, B left 0)|started" "$(uboot_boot 'BOOT_ORDER=B A\nBOOT_A_LEFT=3\nBOOT_B_LEFT=0\n')"
check "no slot has tries left: counters reset, board resets" \
	"no slot has boot attempts left; resetting|reset" "$(uboot_boot 'BOOT_ORDER=B A\nBOOT_A_LEFT=0\nBOOT_B_LEFT=0\n')"
dd if=/dev/zero of="$disk" bs=1M seek=$((slot_b >> 20)) count=8 conv=notrunc status=none
check "slot B without a kernel: reset without starting anything" \
	"booting slot B (A left 3, B left 2)|slot B has no bootable kernel|reset" \
	"$(uboot_boot 'BOOT_ORDER=B A\nBOOT_A_LEFT=3\nBOOT_B_LEFT=3\n')"

if [ "$failures" -ne 0 ]; then
	echo "A/B boot: $failures check(s) failed"
	exit 1
fi
