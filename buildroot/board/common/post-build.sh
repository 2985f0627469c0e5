#!/bin/sh
# post-build: what the root file system needs beyond the overlay's plain
# files: mount points, the image's identity, and the key updates must be
# signed with. Arguments: TARGET_DIR BOARD (BR2_ROOTFS_POST_SCRIPT_ARGS).
set -eu

target=$1
board=$2

# The value of a string option in .config (the last one, as Kconfig reads).
config_value() {
	sed -n "s/^$1=\"\(.*\)\"\$/\1/p" "$BR2_CONFIG" | tail -n 1
}

# Mount points on the read-only root; git keeps no empty directories.
mkdir -p "$target/data" "$target/boot/loader"

# The health gate compares IMAGE_VERSION with the version it last confirmed
# in a slot, and the update bundle carries the same string, so two builds of
# one commit still count as different images.
describe=$(git -C "$BR2_EXTERNAL_IDKIOSK_PATH/.." describe --always --dirty 2>/dev/null || echo unknown)
version="$describe-$(date -u +%Y%m%d%H%M%S)"
os_release="$target/usr/lib/os-release"
sed -i '/^IMAGE_ID=/d; /^IMAGE_VERSION=/d' "$os_release"
printf 'IMAGE_ID=idkiosk-%s\nIMAGE_VERSION=%s\n' "$board" "$version" >>"$os_release"

# kioskd's config lives on the data partition (enrollment writes it); the
# root only points there.
if [ "$(readlink "$target/etc/idkiosk/kioskd.toml")" != /data/etc/idkiosk/kioskd.toml ]; then
	echo "post-build: /etc/idkiosk/kioskd.toml must link to /data/etc/idkiosk/kioskd.toml" >&2
	exit 1
fi

if [ -d "$target/etc/rauc" ]; then
	keyring=$(config_value IDKIOSK_RAUC_KEYRING)
	if [ -n "$keyring" ]; then
		install -D -m 0644 "$keyring" "$target/etc/rauc/keyring.pem"
	else
		rm -f "$target/etc/rauc/keyring.pem"
		echo "post-build: WARNING: IDKIOSK_RAUC_KEYRING is not set; this image will refuse every update bundle" >&2
	fi
fi

# The serial console is the only login on the image (no SSH); on a kiosk in
# a public place it must not be open.
if grep -qx 'BR2_TARGET_ENABLE_ROOT_LOGIN=y' "$BR2_CONFIG" &&
	grep -qx 'BR2_TARGET_GENERIC_ROOT_PASSWD=""' "$BR2_CONFIG"; then
	echo "post-build: WARNING: root logs in on the console without a password; set BR2_TARGET_GENERIC_ROOT_PASSWD for a field image" >&2
fi
