#!/bin/sh
# check.sh is `make buildroot-check`. Without Buildroot it tests what needs
# none: the health gate's decisions, the A/B boot scripts in the real
# bootloaders (test-boot-ab.sh), and the kioskd.toml templates against the
# kioskd of this commit. Given BUILDROOT_DIR (a Buildroot checkout) it also
# runs Buildroot's utils/check-package on every file of this tree (zero
# warnings allowed), and loads each defconfig with the tree into a scratch
# output directory: every option a defconfig sets must survive Kconfig's
# dependency resolution, the tree's own options must be there, and every
# file the defconfig names in the tree must exist. No downloads.
set -eu

tree=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$tree")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0

fail() {
	echo "buildroot-check: FAIL: $*" >&2
	failed=1
}

echo "== health gate: rollback decisions"
"$tree/test-health-gate.sh" || fail "health gate"

echo "== A/B boot: GRUB and U-Boot choose slots under qemu"
"$tree/test-boot-ab.sh" || fail "A/B boot"

echo "== kioskd.toml template: kioskd -check-config"
if command -v go >/dev/null; then
	if ! (cd "$repo" && go build -o "$scratch/bin/" ./cmd/kioskd); then
		fail "build kioskd (the template could not be checked)"
	fi
	for t in "$tree"/board/*/rootfs-overlay/usr/share/idkiosk/kioskd.toml; do
		# The template's /data paths, moved under the scratch directory.
		[ -x "$scratch/bin/kioskd" ] || break
		sed "s#/data/#$scratch/data/#g" "$t" >"$scratch/kioskd.toml"
		if "$scratch/bin/kioskd" -check-config -config "$scratch/kioskd.toml" >/dev/null; then
			echo "ok  ${t#"$repo"/}"
		else
			fail "${t#"$repo"/} does not pass kioskd -check-config"
		fi
	done
else
	echo "skipped: no go on PATH"
	[ "${IDKIOSK_BUILDROOT:-}" = require ] && fail "no go on PATH"
fi

br=${BUILDROOT_DIR:-}
if [ -z "$br" ]; then
	echo "== Buildroot checks skipped: BUILDROOT_DIR is not set."
	echo "   Run: make buildroot-check BUILDROOT_DIR=/path/to/buildroot"
	echo "   (a Buildroot checkout, e.g. git clone https://gitlab.com/buildroot.org/buildroot.git)"
	exit "$failed"
fi
if [ ! -x "$br/utils/check-package" ] || [ ! -f "$br/Makefile" ]; then
	echo "buildroot-check: $br is not a Buildroot checkout" >&2
	exit 1
fi
echo "== Buildroot $(sed -n 's/^export BR2_VERSION := //p' "$br/Makefile") at $br"

# check-package needs Python's magic module; a Python from pyenv or a
# virtualenv often lacks it where Debian's (python3-magic) has it.
python=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import magic' 2>/dev/null; then
		python=$p
		break
	fi
done
if [ -z "$python" ]; then
	echo "buildroot-check: no python3 with the magic module (Debian: apt-get install python3-magic)" >&2
	exit 1
fi

echo "== utils/check-package"
# Relative paths: check-package recognises defconfigs and external.mk by path.
files=$(cd "$repo" && find buildroot -type f | sort)
# shellcheck disable=SC2086 # one argument per file; paths have no spaces
if ! (cd "$repo" && PATH="$(dirname "$python"):$PATH" "$python" "$br/utils/check-package" -b $files); then
	fail "check-package warnings"
fi

# How the defconfigs name files of this tree.
ext='$'"(BR2_EXTERNAL_IDKIOSK_PATH)"
for defconfig in "$tree"/configs/*_defconfig; do
	name=$(basename "$defconfig")
	out="$scratch/$name"
	echo "== $name"
	if ! make -s -C "$br" BR2_EXTERNAL="$tree" O="$out" "$name" >"$scratch/make.log" 2>&1; then
		cat "$scratch/make.log" >&2
		fail "$name does not load"
		continue
	fi
	errors=0
	# Each option the defconfig sets, set the same way in the .config.
	while IFS= read -r line; do
		case "$line" in
		'' | '#'*) continue ;;
		esac
		if ! grep -qxF "$line" "$out/.config"; then
			echo "  not applied: $line (Kconfig has: $(grep "^${line%%=*}=" "$out/.config" || echo unset))"
			errors=$((errors + 1))
		fi
	done <"$defconfig"
	# Each option it turns off, off.
	sed -n 's/^# \([A-Z0-9_]*\) is not set$/\1/p' "$defconfig" >"$scratch/off"
	while IFS= read -r sym; do
		if grep -q "^$sym=" "$out/.config"; then
			echo "  not applied: # $sym is not set"
			errors=$((errors + 1))
		fi
	done <"$scratch/off"
	# What makes it an idkiosk image, whatever the defconfig says.
	for want in BR2_PACKAGE_KIOSKD=y BR2_PACKAGE_LIBVPX=y BR2_INIT_SYSTEMD=y \
		'# BR2_TARGET_GENERIC_REMOUNT_ROOTFS_RW is not set' \
		BR2_PACKAGE_RAUC=y BR2_PACKAGE_COG_PLATFORM_DRM=y; do
		if ! grep -qxF "$want" "$out/.config"; then
			echo "  missing: $want"
			errors=$((errors + 1))
		fi
	done
	# Files in this tree the defconfig refers to (overlays, scripts,
	# fragments): Kconfig takes any string, the build would fail late.
	sed 's/[" ]/\n/g' "$defconfig" >"$scratch/words"
	while IFS= read -r word; do
		case "$word" in
		"$ext"/*)
			if [ ! -e "$tree/${word#"$ext"/}" ]; then
				echo "  missing file: $word"
				errors=$((errors + 1))
			fi
			;;
		esac
	done <"$scratch/words"
	# The package's .mk must parse, with the infrastructure it asks for.
	vars=$(make -s -C "$br" O="$out" printvars VARS='KIOSKD_SITE_METHOD KIOSKD_INSTALL_BINS' 2>&1)
	for want in KIOSKD_SITE_METHOD=local 'KIOSKD_INSTALL_BINS=kioskd kioskctl'; do
		if ! printf '%s\n' "$vars" | grep -qxF "$want"; then
			echo "  kioskd.mk: want $want; printvars gave: $vars"
			errors=$((errors + 1))
		fi
	done
	if [ "$errors" -eq 0 ]; then
		echo "ok  $(grep -c '^[A-Z]' "$defconfig") options applied, $(grep -c '^BR2_' "$out/.config") in .config"
	else
		fail "$name: $errors problems"
	fi
done

exit "$failed"
