package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse_CradleGPIO(t *testing.T) {
	_, valid := fixture(t)
	cfg, err := Parse("kioskd.toml", []byte(valid+`
[cradle]
driver = "gpio"
chip = "gpio-sim.0-node0"
present_line = "CARD"
present_active_low = true
present_pull = "up"
light_line = "LAMP"
ready_line = ""
debounce = "20ms"
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	c := cfg.Cradle
	if c.Chip != "gpio-sim.0-node0" || c.PresentLine != "CARD" || !c.PresentActiveLow || c.PresentPull != "up" ||
		c.LightLine != "LAMP" || c.ReadyLine != "" || c.BusyLine != "CRADLE_BUSY" || c.Debounce != 20*time.Millisecond {
		t.Errorf("cradle = %+v; want the file's values and the default busy_line", c)
	}
}

func TestParse_CradleGPIOProblems(t *testing.T) {
	_, valid := fixture(t)
	tests := []struct {
		name  string
		extra string
		key   string
		msg   string
	}{
		{"no switch line", "present_line = \"\"\n", "cradle.present_line", "required with cradle.driver"},
		{"no light line", "light_line = \"\"\n", "cradle.light_line", "required with cradle.driver"},
		{"one line, two jobs", "busy_line = \"CRADLE_LIGHT\"\n", "cradle.busy_line", "also cradle.light_line"},
		{"name longer than the kernel allows", "ready_line = \"" + strings.Repeat("R", 32) + "\"\n", "cradle.ready_line", "at most 31 bytes"},
		{"unknown pull", "present_pull = \"sideways\"\n", "cradle.present_pull", `want "none", "up" or "down"`},
		{"debounce too long", "debounce = \"3s\"\n", "cradle.debounce", "want 1ms to 1s"},
		{"debounce zero", "debounce = \"0s\"\n", "cradle.debounce", "want 1ms to 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("kioskd.toml", []byte(valid+"[cradle]\ndriver = \"gpio\"\n"+tt.extra))
			var ps *Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Parse error = %v, want *Problems", err)
			}
			if len(ps.List) != 1 || ps.List[0].Key != tt.key || !strings.Contains(ps.List[0].Msg, tt.msg) {
				t.Errorf("problems %v; want one for %s containing %q", err, tt.key, tt.msg)
			}
		})
	}
}

// The wiring keys mean nothing to the simulated cradle and are not checked.
func TestParse_CradleSimIgnoresWiring(t *testing.T) {
	_, valid := fixture(t)
	if _, err := Parse("kioskd.toml", []byte(valid+"[cradle]\ndriver = \"sim\"\npresent_line = \"\"\n")); err != nil {
		t.Errorf("Parse: %v", err)
	}
}
