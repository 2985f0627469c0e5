package config

import "time"

// gpioNameMax is the kernel's limit on GPIO line and chip names
// (GPIO_MAX_NAME_SIZE, 32 bytes with the terminating NUL): a longer name
// in the config could never match.
const gpioNameMax = 31

// validateCradleGPIO checks the wiring keys of cradle.driver = "gpio".
func validateCradleGPIO(c *Cradle, bad func(key, format string, args ...any)) {
	if c.Debounce < time.Millisecond || c.Debounce > time.Second {
		bad("cradle.debounce", "%s: want 1ms to 1s", c.Debounce)
	}
	if len(c.Chip) > gpioNameMax {
		bad("cradle.chip", "%q: GPIO chip names are at most %d bytes", c.Chip, gpioNameMax)
	}
	switch c.PresentPull {
	case "none", "up", "down":
	default:
		bad("cradle.present_pull", "%q: want \"none\", \"up\" or \"down\"", c.PresentPull)
	}
	lines := []struct {
		key, name string
		required  bool
	}{
		{"cradle.present_line", c.PresentLine, true},
		{"cradle.light_line", c.LightLine, true},
		{"cradle.ready_line", c.ReadyLine, false},
		{"cradle.busy_line", c.BusyLine, false},
		{"cradle.attention_line", c.AttentionLine, false},
	}
	seen := map[string]string{}
	for _, l := range lines {
		switch {
		case l.name == "" && l.required:
			bad(l.key, "required with cradle.driver = \"gpio\": the line's name as gpioinfo shows it")
		case l.name == "":
		case len(l.name) > gpioNameMax:
			bad(l.key, "%q: GPIO line names are at most %d bytes", l.name, gpioNameMax)
		case seen[l.name] != "":
			bad(l.key, "%q is also %s: each line does one job", l.name, seen[l.name])
		default:
			seen[l.name] = l.key
		}
	}
}
