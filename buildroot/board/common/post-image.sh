#!/bin/sh
# post-image: the disk image described by $BINARIES_DIR/genimage.cfg (the
# board's post-image script writes it), then the signed RAUC update bundle
# when signing keys are configured. Arguments: BINARIES_DIR BOARD.
set -eu

binaries=$1
board=$2

# The value of a string option in .config (the last one, as Kconfig reads).
config_value() {
	sed -n "s/^$1=\"\(.*\)\"\$/\1/p" "$BR2_CONFIG" | tail -n 1
}

# No image here is filled from a directory (the root slot image is ready,
# the data partition starts empty), and genimage copies its root path first:
# give it an empty one.
empty=$(mktemp -d)
trap 'rm -rf "$empty"' EXIT
rm -rf "$BUILD_DIR/genimage.tmp"
genimage \
	--rootpath "$empty" \
	--tmppath "$BUILD_DIR/genimage.tmp" \
	--inputpath "$binaries" \
	--outputpath "$binaries" \
	--config "$binaries/genimage.cfg"

cert=$(config_value IDKIOSK_RAUC_CERT)
key=$(config_value IDKIOSK_RAUC_KEY)
keyring=$(config_value IDKIOSK_RAUC_KEYRING)
if [ -z "$cert" ] || [ -z "$key" ]; then
	echo "post-image: IDKIOSK_RAUC_CERT or IDKIOSK_RAUC_KEY not set: no update bundle (see buildroot/README.md)"
	exit 0
fi

# The bundle's compatible must match the image's system.conf, or RAUC on the
# device refuses it; read it from there rather than repeat it.
compatible=$(sed -n 's/^compatible=//p' "$TARGET_DIR/etc/rauc/system.conf")
version=$(sed -n 's/^IMAGE_VERSION=//p' "$TARGET_DIR/usr/lib/os-release")
work="$BUILD_DIR/idkiosk-bundle"
rm -rf "$work"
mkdir -p "$work"
cp "$binaries/rootfs.ext4" "$work/rootfs.ext4"
cat >"$work/manifest.raucm" <<MANIFEST
[update]
compatible=$compatible
version=$version
description=idkiosk $board

[bundle]
format=verity

[image.rootfs]
filename=rootfs.ext4
MANIFEST

rm -f "$binaries/idkiosk-$board-"*.raucb
bundle="$binaries/idkiosk-$board-$version.raucb"
rauc bundle --cert="$cert" --key="$key" "$work" "$bundle"
rm -rf "$work"

# Refuse to hand out a bundle the image itself would reject.
if [ -n "$keyring" ]; then
	rauc info --keyring="$keyring" "$bundle" >/dev/null
fi
echo "post-image: update bundle $bundle"
