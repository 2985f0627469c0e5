package config

import (
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// keyLines maps each dotted key in a TOML document (tables and key/values)
// to the line it is defined on. go-toml's decoder does not report positions
// for keys it accepted, and a validation error such as "must be loopback"
// is only useful with a line.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	p := unstable.Parser{}
	p.Reset(data)
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = keyParts(e.Key())
			lines[strings.Join(table, ".")] = lineOf(&p, e.Key())
		case unstable.KeyValue:
			full := append(append([]string{}, table...), keyParts(e.Key())...)
			lines[strings.Join(full, ".")] = lineOf(&p, e.Key())
		}
	}
	// Syntax errors are reported by the decoder with their own position.
	return lines
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

func lineOf(p *unstable.Parser, it unstable.Iterator) int {
	if !it.Next() {
		return 0
	}
	return p.Shape(it.Node().Raw).Start.Line
}
