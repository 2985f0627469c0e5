package config

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Example renders the default configuration as a TOML file with every key
// commented by its doc tag. Keys without a default (device.id) are written
// with placeholder values a person must replace.
func Example() []byte {
	var b bytes.Buffer
	b.WriteString("# kioskd configuration. Every key is shown with its default.\n")
	b.WriteString("# Check a file with: kioskd -check-config -config FILE\n")
	def := Default()
	placeholders := map[string]string{
		"device.id": `"kiosk-1"`,
	}
	v := reflect.ValueOf(def)
	for i := 0; i < v.NumField(); i++ {
		sf := v.Type().Field(i)
		section := sf.Tag.Get("toml")
		fmt.Fprintf(&b, "\n# %s\n[%s]\n", sf.Tag.Get("doc"), section)
		sv := v.Field(i)
		for j := 0; j < sv.NumField(); j++ {
			f := sv.Type().Field(j)
			key := f.Tag.Get("toml")
			val, ok := placeholders[section+"."+key]
			if !ok {
				val = literal(sv.Field(j))
			}
			fmt.Fprintf(&b, "# %s\n%s = %s\n", f.Tag.Get("doc"), key, val)
		}
	}
	return b.Bytes()
}

func literal(v reflect.Value) string {
	if v.Type() == durationType {
		return strconv.Quote(time.Duration(v.Int()).String())
	}
	switch v.Kind() {
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		s := strconv.FormatFloat(v.Float(), 'f', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = strconv.Quote(v.Index(i).String())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	panic("config: no literal for " + v.Kind().String())
}
