#!/bin/sh
# post-image (Raspberry Pi 4): write $BINARIES_DIR/genimage.cfg from
# genimage.cfg.in with every file the boot partition needs: the firmware and
# its config.txt, the device trees and overlays, U-Boot and its boot script.
# Arguments: BINARIES_DIR BOARD.
set -eu

binaries=$1
board_dir=$(dirname "$0")

for f in u-boot.bin boot.scr rpi-firmware/config.txt; do
	if [ ! -e "$binaries/$f" ]; then
		echo "post-image: $binaries/$f is missing" >&2
		exit 1
	fi
done

# Paths relative to BINARIES_DIR, one quoted entry per line; the firmware
# wants everything of rpi-firmware/ (overlays/ included) at the top level.
list=$(mktemp)
trap 'rm -f "$list"' EXIT
(
	cd "$binaries"
	for f in *.dtb rpi-firmware/* u-boot.bin boot.scr; do
		printf '\t\t\t"%s",\n' "$f"
	done
) >"$list"

sed -e "/^BOOT_FILES$/{r $list" -e 'd}' "$board_dir/genimage.cfg.in" \
	>"$binaries/genimage.cfg"
