// Package cradle drives the ID-card cradle: a card-present switch, an
// illumination light for glare-free ID photos, and status lights.
//
// Cradle is the contract every implementation meets; Sim is the simulated
// twin used by `make run` and the tests, device/cradle/gpio the real cradle
// on GPIO lines, and cradletest the suite both pass. Consumers (the
// session) declare the smaller interface they need.
package cradle
