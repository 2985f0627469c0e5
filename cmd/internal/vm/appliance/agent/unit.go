package agent

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Unit is a systemd unit file: section -> key -> values in file order.
type Unit struct {
	Name     string
	sections map[string]map[string][]string
}

// ReadUnit parses a unit file: sections, Key=Value lines, comments (# ;)
// and lines continued with a trailing backslash (systemd.syntax(7)).
func ReadUnit(path string) (*Unit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u, err := parseUnit(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	u.Name = path[strings.LastIndexByte(path, '/')+1:]
	return u, nil
}

func parseUnit(r io.Reader) (*Unit, error) {
	u := &Unit{sections: map[string]map[string][]string{}}
	sc := bufio.NewScanner(r)
	section, pending := "", ""
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || line[0] == '#' || line[0] == ';') {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending += cont + " "
			continue
		}
		line, pending = pending+line, ""
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			if u.sections[section] == nil {
				u.sections[section] = map[string][]string{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			return nil, fmt.Errorf("line %d: want Key=Value in a [Section]", n)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		u.sections[section][k] = append(u.sections[section][k], v)
	}
	return u, sc.Err()
}

// All returns every value of key in section, in order.
func (u *Unit) All(section, key string) []string { return u.sections[section][key] }

// Get returns the last value of key in section (the one systemd uses for
// single-valued keys), or "".
func (u *Unit) Get(section, key string) string {
	vs := u.All(section, key)
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// Keys lists section's keys.
func (u *Unit) Keys(section string) []string {
	var ks []string
	for k := range u.sections[section] {
		ks = append(ks, k)
	}
	return ks
}

// Exec is the command of an Exec*= line: words split on spaces, with
// double or single quotes grouping. A leading "-" (ignore failure) is
// dropped; systemd's other prefixes and specifiers are not supported.
func Exec(line string) ([]string, error) {
	line = strings.TrimPrefix(strings.TrimSpace(line), "-")
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", line)
	}
	if in {
		words = append(words, cur.String())
	}
	if len(words) == 0 || !strings.HasPrefix(words[0], "/") {
		return nil, fmt.Errorf("%q: want an absolute command", line)
	}
	return words, nil
}

// TimeSpan parses a systemd time span: "2s", "500ms", "5min", "1h 30min",
// or a bare number of seconds.
func TimeSpan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(n * float64(time.Second)), nil
	}
	var total time.Duration
	for _, part := range strings.Fields(s) {
		part = strings.Replace(part, "min", "m", 1)
		part = strings.Replace(part, "sec", "s", 1)
		d, err := time.ParseDuration(part)
		if err != nil {
			return 0, fmt.Errorf("time span %q: %w", s, err)
		}
		total += d
	}
	return total, nil
}
