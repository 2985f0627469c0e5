package gpiosim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ConfigFS is where gpio-sim's configfs tree lives.
const ConfigFS = "/sys/kernel/config"

// Chip is a live gpio-sim chip with one bank of named lines.
type Chip struct {
	Name     string // its directory under ConfigFS/gpio-sim
	DevName  string // the platform device, e.g. gpio-sim.0
	ChipName string // the GPIO chip, e.g. gpiochip0
	Label    string // the chip's label, as gpioinfo and periph show it
	lines    map[string]int
	dir      string
}

// New makes a live chip called name with one line per entry of lines, in
// order, each named as given. An empty label leaves the kernel's default
// (<DevName>-bank0). It mounts configfs if need be; the gpiosim module
// must be loaded (it needs configfs.ko first).
func New(name, label string, lines ...string) (*Chip, error) {
	root := filepath.Join(ConfigFS, "gpio-sim")
	if _, err := os.Stat(root); err != nil {
		if err := syscall.Mount("none", ConfigFS, "configfs", 0, ""); err != nil && !errors.Is(err, syscall.EBUSY) {
			return nil, fmt.Errorf("mount configfs: %w", err)
		}
		if _, err := os.Stat(root); err != nil {
			return nil, fmt.Errorf("gpio-sim not loaded: %w", err)
		}
	}
	c := &Chip{Name: name, dir: filepath.Join(root, name), lines: map[string]int{}}
	bank := filepath.Join(c.dir, "bank0")
	if err := os.Mkdir(c.dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Mkdir(bank, 0o755); err != nil {
		c.remove()
		return nil, err
	}
	steps := []struct{ path, value string }{{filepath.Join(bank, "num_lines"), strconv.Itoa(len(lines))}}
	if label != "" {
		steps = append(steps, struct{ path, value string }{filepath.Join(bank, "label"), label})
	}
	for i, n := range lines {
		line := filepath.Join(bank, fmt.Sprintf("line%d", i))
		if err := os.Mkdir(line, 0o755); err != nil {
			c.remove()
			return nil, err
		}
		steps = append(steps, struct{ path, value string }{filepath.Join(line, "name"), n})
		c.lines[n] = i
	}
	steps = append(steps, struct{ path, value string }{filepath.Join(c.dir, "live"), "1"})
	for _, s := range steps {
		if err := write(s.path, s.value); err != nil {
			c.remove()
			return nil, err
		}
	}
	var err error
	if c.DevName, err = read(filepath.Join(c.dir, "dev_name")); err != nil {
		c.Close()
		return nil, err
	}
	if c.ChipName, err = read(filepath.Join(bank, "chip_name")); err != nil {
		c.Close()
		return nil, err
	}
	c.Label = label
	if c.Label == "" {
		c.Label = c.DevName + "-bank0"
	}
	return c, nil
}

// Pull drives an input line as the outside world would: up (high) or
// down (low). A program that requested the line with a bias overrides it.
func (c *Chip) Pull(line string, up bool) error {
	v := "pull-down"
	if up {
		v = "pull-up"
	}
	p, err := c.attr(line, "pull")
	if err != nil {
		return err
	}
	return write(p, v)
}

// Value reads a line's level: what a program drives on an output, the
// pull on an input.
func (c *Chip) Value(line string) (bool, error) {
	p, err := c.attr(line, "value")
	if err != nil {
		return false, err
	}
	v, err := read(p)
	if err != nil {
		return false, err
	}
	return v == "1", nil
}

// ValuePath is the sysfs file Value reads, for a tight polling loop.
func (c *Chip) ValuePath(line string) (string, error) { return c.attr(line, "value") }

func (c *Chip) attr(line, name string) (string, error) {
	i, ok := c.lines[line]
	if !ok {
		return "", fmt.Errorf("gpio-sim %s: no line %q", c.Name, line)
	}
	return filepath.Join("/sys/devices/platform", c.DevName, c.ChipName, fmt.Sprintf("sim_gpio%d", i), name), nil
}

// Close takes the chip down and removes it. Lines a program still holds
// keep the chip busy: release them first.
func (c *Chip) Close() error {
	if err := write(filepath.Join(c.dir, "live"), "0"); err != nil {
		return err
	}
	return c.remove()
}

// remove deletes the configfs tree, innermost first.
func (c *Chip) remove() error {
	bank := filepath.Join(c.dir, "bank0")
	lines, _ := filepath.Glob(filepath.Join(bank, "line*"))
	var first error
	for _, d := range append(lines, bank, c.dir) {
		if err := os.Remove(d); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

func write(path, value string) error {
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("gpio-sim: %w", err)
	}
	return nil
}

func read(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("gpio-sim: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
