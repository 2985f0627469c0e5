package config

import "time"

// Staff configures staff mode (kiosk-ui/session/staff.go): the screens
// proctors open from the welcome screen with the staff PIN (queue, sync
// now, diagnostics, audit), and the quality override, which needs the same
// PIN.
type Staff struct {
	PINHash      string        `toml:"pin_hash" doc:"The staff PIN, hashed (scrypt, salted): make it with kioskctl pin-hash. Empty: no staff mode and no quality override."`
	IdleTimeout  time.Duration `toml:"idle_timeout" doc:"Leave staff mode this long after the last staff touch."`
	FreeAttempts int           `toml:"free_attempts" doc:"Wrong PINs in a row before the keypad locks."`
	Lockout      time.Duration `toml:"lockout" doc:"How long the keypad locks after free_attempts wrong PINs; each further wrong PIN doubles it, up to max_lockout. The right PIN resets the count."`
	MaxLockout   time.Duration `toml:"max_lockout" doc:"The longest lock."`
}

// defaultStaff: two minutes is long enough to read the queue and run the
// checks, short enough that a kiosk left unlocked is locked again before
// the next learner settles in. Three tries forgive a slip of the finger;
// a 30 s lock doubling to 15 min caps a guesser at a few tries an hour.
func defaultStaff() Staff {
	return Staff{
		IdleTimeout:  2 * time.Minute,
		FreeAttempts: 3,
		Lockout:      30 * time.Second,
		MaxLockout:   15 * time.Minute,
	}
}

// retiredKeys are keys kioskd used to read, with what replaced them. A
// file that still sets one is refused with this message rather than the
// bare "unknown key", so the fix is in the error.
var retiredKeys = map[string]string{
	"quality.staff_code_file": "retired: staff now unlock staff mode with a PIN to accept a photo that failed its checks. " +
		"Set staff.pin_hash instead (make it with: kioskctl pin-hash) and delete this key and its file.",
}

// validateStaff checks the [staff] keys.
func validateStaff(c *Config, bad func(key, format string, args ...any)) {
	s := &c.Staff
	if s.PINHash != "" {
		if _, err := ParsePINHash(s.PINHash); err != nil {
			// Never echo the value: it is a hash of a secret.
			bad("staff.pin_hash", "%v", err)
		}
	}
	staffBetween(bad, "staff.idle_timeout", s.IdleTimeout, 15*time.Second, time.Hour)
	if s.FreeAttempts < 1 || s.FreeAttempts > 10 {
		bad("staff.free_attempts", "%d: want 1 to 10", s.FreeAttempts)
	}
	staffBetween(bad, "staff.lockout", s.Lockout, time.Second, time.Hour)
	if s.MaxLockout < s.Lockout || s.MaxLockout > 24*time.Hour {
		bad("staff.max_lockout", "%s: want staff.lockout (%s) to 24h", s.MaxLockout, s.Lockout)
	}
}

func staffBetween(bad func(key, format string, args ...any), key string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		bad(key, "%s: want %s to %s", d, lo, hi)
	}
}

// StaffAuditPath is where staff mode's audit events go: the same file as
// the preview sessions', so one file says who watched and what staff did.
func (c *Config) StaffAuditPath() string { return c.AuditLogPath() }
