// Package gpio drives an ID-card cradle wired to GPIO lines, through
// periph.io's host driver for the Linux GPIO character device (gpioioctl,
// https://docs.kernel.org/userspace-api/gpio/chardev.html).
//
// The cradle has a card-present switch (an input, debounced on both edges
// into placed/removed events), an illumination light (an output that is on
// only while an ID photo is taken, and driven off on every error path and at
// Close) and up to three status lights (ready, busy, attention).
//
// Open finds the lines by their names on the host's GPIO chips and claims
// them; a line that is missing, busy or not permitted comes back as a
// *LineError that says which and why. New takes any periph gpio pins, which
// is how the tests run the same code on fakes.
//
// The kernel's gpio-sim module stands in for the hardware in the
// hardware-in-the-loop test: its lines are named like a real cradle's and
// their pulls play the card.
package gpio
