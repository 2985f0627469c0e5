// Package stack prepares and runs a local idkiosk deployment: the reference
// verification service (verifyd) and a kiosk (kioskd) with simulated
// hardware, as real processes on loopback. `make run` uses it through
// cmd/devstack, and the end-to-end tests use it to get the same setup the
// person running the demo gets.
package stack
