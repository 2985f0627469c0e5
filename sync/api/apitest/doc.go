// Package apitest holds fixtures for tests of every package that handles
// profiles: real JPEG photos and complete, valid api.Profile values, so the
// envelope, outbox, service and kiosk tests build their profiles the same
// way and a change to the profile contract is made in one place.
package apitest
