// Package gpiosim puts the kernel's gpio-sim module to work as a cradle
// for tests: simulated GPIO chips whose lines have the names a real
// cradle's have, driven from user space.
//
// Debian's kernel is built without gpio-sim, so Module compiles it out of
// tree from Debian's own sources (packages linux-source-6.1 and
// linux-headers-<abi>-amd64) and caches the .ko. New, Pull and Value run
// inside the kernel that loaded it (the qemu guest of cmd/internal/vm): a
// chip is made through configfs, an input is driven by writing its pull
// ("pull-up" / "pull-down") and an output is read from its value, as in
// https://docs.kernel.org/admin-guide/gpio/gpio-sim.html (6.1 attribute
// names).
package gpiosim
