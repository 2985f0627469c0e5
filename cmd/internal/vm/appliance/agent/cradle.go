package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// simLine is one named line of a gpio-sim chip made through configfs (by
// the image's gpio-sim-setup), driven and read through its sysfs
// attributes (https://docs.kernel.org/admin-guide/gpio/gpio-sim.html).
type simLine struct{ dir string }

// findSimLine looks for a line called name on every live gpio-sim chip.
func findSimLine(name string) (simLine, error) {
	names, _ := filepath.Glob("/sys/kernel/config/gpio-sim/*/bank*/line*/name")
	for _, n := range names {
		if read(n) != name {
			continue
		}
		lineDir := filepath.Dir(n)
		bank := filepath.Dir(lineDir)
		chip := filepath.Dir(bank)
		idx := strings.TrimPrefix(filepath.Base(lineDir), "line")
		dir := filepath.Join("/sys/devices/platform", read(filepath.Join(chip, "dev_name")),
			read(filepath.Join(bank, "chip_name")), "sim_gpio"+idx)
		if _, err := os.Stat(dir); err != nil {
			return simLine{}, fmt.Errorf("gpio-sim line %s: %w", name, err)
		}
		return simLine{dir: dir}, nil
	}
	return simLine{}, fmt.Errorf("no gpio-sim line named %s", name)
}

// pull drives the line as the outside world would: high (a closed switch
// on an active-high line) or low.
func (l simLine) pull(high bool) error {
	v := "pull-down"
	if high {
		v = "pull-up"
	}
	return os.WriteFile(filepath.Join(l.dir, "pull"), []byte(v), 0o644)
}

// pulledHigh reports whether the outside world pulls the line high.
func (l simLine) pulledHigh() bool { return read(filepath.Join(l.dir, "pull")) == "pull-up" }

// high reads the line: the level a program drives on an output, the pull
// on an input.
func (l simLine) high() bool { return read(filepath.Join(l.dir, "value")) == "1" }

func read(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}
