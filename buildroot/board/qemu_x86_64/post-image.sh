#!/bin/sh
# post-image (qemu x86_64): the files genimage.cfg takes from BINARIES_DIR:
# GRUB's first stage, our A/B grub.cfg, and a grubenv that starts slot A.
# Arguments: BINARIES_DIR BOARD.
set -eu

binaries=$1
board_dir=$(dirname "$0")

# GRUB installs its MBR stage into the target; genimage wants it here.
cp "$TARGET_DIR/lib/grub/i386-pc/boot.img" "$binaries/boot.img"
cp "$board_dir/grub.cfg" "$binaries/idkiosk-grub.cfg"

# A GRUB environment block is exactly 1024 bytes: a header line, name=value
# lines, '#' padding. save_env rewrites it in place, so it must exist.
env="$binaries/grubenv"
printf '# GRUB Environment Block\nORDER=A B\nA_OK=1\nA_TRY=0\nB_OK=0\nB_TRY=0\n' >"$env"
pad=$((1024 - $(wc -c <"$env")))
head -c "$pad" /dev/zero | tr '\0' '#' >>"$env"

cp "$board_dir/genimage.cfg" "$binaries/genimage.cfg"
