package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Load reads and validates the file at path. A missing file is an error:
// a kiosk must not start on defaults because its config went missing.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes data over Default() and validates the result. The error, if
// any, is a *Problems listing everything wrong, in file order.
func Parse(name string, data []byte) (*Config, error) {
	ps := &Problems{File: name}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			ps.add(strings.Join(de.Key(), "."), row, "TOML syntax: %s", de.Error())
		} else {
			ps.add("", 0, "TOML syntax: %v", err)
		}
		return nil, ps
	}
	lines := keyLines(data)
	cfg := Default()
	decodeTable(reflect.ValueOf(&cfg).Elem(), doc, "", lines, ps)
	validate(&cfg, lines, ps)
	if len(ps.List) > 0 {
		ps.sort()
		return nil, ps
	}
	return &cfg, nil
}

// decodeTable assigns the keys of one TOML table to the struct v, reporting
// unknown keys and type mismatches without stopping.
func decodeTable(v reflect.Value, table map[string]any, prefix string, lines map[string]int, ps *Problems) {
	fields := map[string]reflect.Value{}
	var names []string
	for i := 0; i < v.NumField(); i++ {
		tag := v.Type().Field(i).Tag.Get("toml")
		fields[tag] = v.Field(i)
		names = append(names, tag)
	}
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		full := join(prefix, k)
		f, ok := fields[k]
		if msg, retired := retiredKeys[full]; !ok && retired {
			ps.add(full, lines[full], "%s", msg)
			continue
		}
		if !ok {
			msg := "unknown key"
			if s := closest(k, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", join(prefix, s))
			}
			ps.add(full, lines[full], "%s", msg)
			continue
		}
		if err := assign(f, table[k], full, lines, ps); err != nil {
			ps.add(full, lines[full], "%v", err)
		}
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

var durationType = reflect.TypeFor[time.Duration]()

// assign converts one TOML value to the field's type.
func assign(f reflect.Value, val any, key string, lines map[string]int, ps *Problems) error {
	if f.Type() == durationType {
		s, ok := val.(string)
		if !ok {
			return fmt.Errorf("want a duration string such as \"90s\" or \"5m\", got %s", describe(val))
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration such as \"90s\" or \"5m\", got %q", s)
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.Struct:
		t, ok := val.(map[string]any)
		if !ok {
			return fmt.Errorf("want a table [%s], got %s", key, describe(val))
		}
		decodeTable(f, t, key, lines, ps)
	case reflect.String:
		s, ok := val.(string)
		if !ok {
			return fmt.Errorf("want a string, got %s", describe(val))
		}
		f.SetString(s)
	case reflect.Bool:
		b, ok := val.(bool)
		if !ok {
			return fmt.Errorf("want true or false, got %s", describe(val))
		}
		f.SetBool(b)
	case reflect.Int:
		n, ok := val.(int64)
		if !ok {
			return fmt.Errorf("want an integer, got %s", describe(val))
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return fmt.Errorf("integer %d out of range", n)
		}
		f.SetInt(n)
	case reflect.Float64:
		switch n := val.(type) {
		case int64:
			f.SetFloat(float64(n))
		case float64:
			f.SetFloat(n)
		default:
			return fmt.Errorf("want a number, got %s", describe(val))
		}
	case reflect.Slice:
		arr, ok := val.([]any)
		if !ok {
			return fmt.Errorf("want a list of strings, got %s", describe(val))
		}
		out := make([]string, 0, len(arr))
		for i, e := range arr {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("item %d: want a string, got %s", i+1, describe(e))
			}
			out = append(out, s)
		}
		f.Set(reflect.ValueOf(out))
	default:
		return fmt.Errorf("internal: unsupported field kind %s", f.Kind())
	}
	return nil
}

func describe(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", v)
	case int64:
		return fmt.Sprintf("the integer %d", v)
	case float64:
		return fmt.Sprintf("the number %g", v)
	case bool:
		return fmt.Sprintf("%t", v)
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}

// closest returns the candidate within edit distance 2 of k, if any, to
// suggest a fix for a typo.
func closest(k string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := distance(k, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between two short ASCII keys.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
