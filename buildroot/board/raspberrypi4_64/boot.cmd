# idkiosk A/B boot (U-Boot script, compiled to boot.scr by mkimage).
#
# RAUC's U-Boot contract: BOOT_ORDER lists the slots to try, first choice
# first; BOOT_<slot>_LEFT counts the boots a slot may still try. Each boot
# spends one; `rauc status mark-good` (the health gate, once kioskd is
# healthy) sets it back to 3, and installing a bundle puts the new slot
# first with 3. A new image that never gets healthy runs out after three
# boots, and the loop below then starts the other slot.

test -n "${BOOT_ORDER}" || setenv BOOT_ORDER "A B"
# A factory image has only slot A; B gets attempts when RAUC installs it.
test -n "${BOOT_A_LEFT}" || setenv BOOT_A_LEFT 3
test -n "${BOOT_B_LEFT}" || setenv BOOT_B_LEFT 0
test -n "${devtype}" || setenv devtype mmc
test -n "${devnum}" || setenv devnum 0

setenv slot
for s in ${BOOT_ORDER}; do
	if test -z "${slot}"; then
		if test "${s}" = "A" && test ${BOOT_A_LEFT} -gt 0; then
			setexpr BOOT_A_LEFT ${BOOT_A_LEFT} - 1
			setenv slot A
			setenv rootpart 2
		fi
		if test "${s}" = "B" && test ${BOOT_B_LEFT} -gt 0; then
			setexpr BOOT_B_LEFT ${BOOT_B_LEFT} - 1
			setenv slot B
			setenv rootpart 3
		fi
	fi
done

if test -z "${slot}"; then
	# Every slot spent its attempts (both images failed, or power was cut
	# repeatedly during boot). Stopping here would brick the kiosk; start
	# over with the first slot in BOOT_ORDER and let it try again.
	echo "idkiosk: no slot has boot attempts left; resetting"
	setenv BOOT_A_LEFT 3
	setenv BOOT_B_LEFT 3
	saveenv
	reset
fi

# Save the spent attempt before starting the kernel: a crash from here on
# must count.
saveenv

echo "idkiosk: booting slot ${slot} (A left ${BOOT_A_LEFT}, B left ${BOOT_B_LEFT})"
setenv bootargs "root=/dev/mmcblk0p${rootpart} rootfstype=ext4 ro rootwait rauc.slot=${slot} console=ttyAMA0,115200 console=tty3 quiet"
if load ${devtype} ${devnum}:${rootpart} ${kernel_addr_r} boot/Image; then
	# The firmware's device tree (with its overlays) is at fdt_addr.
	booti ${kernel_addr_r} - ${fdt_addr}
fi

# The slot holds no kernel (never installed, or damaged): never pick it
# again until RAUC installs it, and try the other one.
echo "idkiosk: slot ${slot} has no bootable kernel"
setenv BOOT_${slot}_LEFT 0
saveenv
reset
