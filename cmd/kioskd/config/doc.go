// Package config reads kioskd's TOML configuration.
//
// Every key has a default and a one-line explanation (the `doc` struct tags
// in config.go); Example renders them as a commented file, which is what
// docs/kioskd.example.toml holds and `kioskd -print-config` prints.
//
// Loading reports every problem at once, each with its key and line, so a
// field technician editing a config on a kiosk fixes it in one pass rather
// than one restart per typo. Unknown keys are errors, not warnings: a
// misspelt key silently falling back to its default is how a kiosk ends up
// uploading to the wrong place.
package config
