#!/bin/sh
# test-health-gate.sh runs the image's health gate against fakes of rauc and
# wget, one case per rollback decision, and checks what a maintainer would:
# was the slot marked good, would systemd reboot (exit 1), what was recorded.
set -eu

tree=$(cd "$(dirname "$0")" && pwd)
gate="$tree/board/common/rootfs-overlay/usr/libexec/idkiosk/health-gate"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bin"
# RAUC_EXIT non-zero: rauc fails (the bootloader's state cannot be
# written) and the slot is not marked good.
cat >"$work/bin/rauc" <<'EOF'
#!/bin/sh
if [ "${RAUC_EXIT:-0}" -ne 0 ]; then
	echo "rauc: failed" >&2
	exit "$RAUC_EXIT"
fi
echo "rauc $*" >>"$CALLS"
EOF
cat >"$work/bin/wget" <<'EOF'
#!/bin/sh
exit "$WGET_EXIT"
EOF
chmod +x "$work/bin/rauc" "$work/bin/wget"

failures=0
# Per case, set before run: rauc's exit status, and "yes" to give the gate
# a state directory it cannot write (a file stands where it should be).
rauc_exit=0
state_broken=no

# run NAME SLOT ENROLLED WGET_EXIT CONFIRMED_HERE CONFIRMED_OTHER WANT_EXIT WANT_MARK WANT_LOG
run() {
	name=$1 slot=$2 enrolled=$3 wget_exit=$4 here=$5 there=$6
	want_exit=$7 want_mark=$8 want_log=$9
	case_dir="$work/$name"
	mkdir -p "$case_dir/state"
	if [ -n "$slot" ]; then
		echo "console=ttyS0 root=/dev/vda2 rauc.slot=$slot ro" >"$case_dir/cmdline"
	else
		echo "console=ttyS0 root=/dev/vda2 ro" >"$case_dir/cmdline"
	fi
	printf 'NAME=Buildroot\nIMAGE_VERSION=v2\n' >"$case_dir/os-release"
	if [ "$enrolled" = yes ]; then
		touch "$case_dir/kioskd.toml" "$case_dir/tls.crt"
	fi
	other=A
	if [ "$slot" = A ]; then
		other=B
	fi
	if [ -n "$here" ]; then
		echo "$here" >"$case_dir/state/confirmed-$slot"
	fi
	if [ -n "$there" ]; then
		echo "$there" >"$case_dir/state/confirmed-$other"
	fi
	: >"$case_dir/calls"
	state="$case_dir/state"
	if [ "$state_broken" = yes ]; then
		: >"$case_dir/not-a-directory"
		state="$case_dir/not-a-directory/state"
	fi

	got_exit=0
	PATH="$work/bin:$PATH" CALLS="$case_dir/calls" WGET_EXIT="$wget_exit" \
		RAUC_EXIT="$rauc_exit" \
		IDKIOSK_HEALTH_DEADLINE=0 \
		IDKIOSK_CONFIG="$case_dir/kioskd.toml" \
		IDKIOSK_CERTIFICATE="$case_dir/tls.crt" \
		IDKIOSK_STATE="$state" \
		IDKIOSK_CMDLINE="$case_dir/cmdline" \
		IDKIOSK_OS_RELEASE="$case_dir/os-release" \
		"$gate" >"$case_dir/out" 2>&1 || got_exit=$?

	got_mark=no
	if grep -qx 'rauc status mark-good booted' "$case_dir/calls"; then
		got_mark=yes
	fi
	got_log=$(cat "$case_dir/state/health-gate.log" 2>/dev/null || true)

	ok=yes
	if [ "$got_exit" != "$want_exit" ]; then
		echo "FAIL $name: exit got $got_exit, want $want_exit"
		ok=no
	fi
	if [ "$got_mark" != "$want_mark" ]; then
		echo "FAIL $name: marked good got $got_mark, want $want_mark"
		ok=no
	fi
	case "$got_log" in
	*"$want_log"*) ;;
	*)
		echo "FAIL $name: log got \"$got_log\", want it to contain \"$want_log\""
		ok=no
		;;
	esac
	got_confirmed=$(cat "$case_dir/state/confirmed-$slot" 2>/dev/null || true)
	if [ "$want_mark" = yes ] && [ "$state_broken" = no ] && [ "$got_confirmed" != v2 ]; then
		echo "FAIL $name: confirmed-$slot does not hold the booted image version v2"
		ok=no
	fi
	if [ "$want_mark" = no ] && [ "$here" != v2 ] && [ "$got_confirmed" = v2 ]; then
		echo "FAIL $name: confirmed-$slot says v2 although the slot was not marked good"
		ok=no
	fi
	if [ "$ok" = yes ]; then
		echo "ok  $name"
	else
		sed 's/^/    /' "$case_dir/out"
		failures=$((failures + 1))
	fi
}

#   name                        slot enrolled wget here there exit mark log
run not-enrolled                A    no       1    ""   ""    0    yes  "confirmed: not enrolled"
run healthy-new-image           B    yes      0    ""   v1    0    yes  "confirmed: kioskd healthy"
run unhealthy-new-image         B    yes      1    v0   v1    1    no   "rebooting to spend a boot attempt (fallback: slot A)"
run unhealthy-nothing-to-fall-back A yes      1    ""   ""    0    no   "slot B has no confirmed image"
run unhealthy-confirmed-before  A    yes      1    v2   v1    0    yes  "confirmed here before"
run no-slot-on-cmdline          ""   yes      0    ""   ""    0    no   ""
# A failure to write the bootloader's state or the gate's own record is no
# reason to reboot: the reboot would not help (the same write fails on
# every boot: a boot loop), and a failed mark-good is not a confirmation.
rauc_exit=1
run mark-good-fails-healthy     B    yes      0    ""   v1    0    no   "mark-good failed"
run mark-good-fails-confirmed-before A yes    1    v2   v1    0    no   "mark-good failed"
run mark-good-fails-not-enrolled A   no       1    ""   ""    0    no   "mark-good failed"
rauc_exit=0
state_broken=yes
run state-unwritable-healthy    B    yes      0    ""   ""    0    yes  ""
run state-unwritable-nothing-to-fall-back A yes 1  ""   ""    0    no   ""
state_broken=no

if [ "$failures" -ne 0 ]; then
	echo "health gate: $failures case(s) failed"
	exit 1
fi
