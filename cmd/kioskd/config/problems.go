package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a config file.
type Problem struct {
	Key  string // dotted key, e.g. "ui.listen"; empty for file-level problems
	Line int    // 1-based line in the file; 0 when the key is not in the file
	Msg  string
}

func (p Problem) String() string {
	switch {
	case p.Line > 0 && p.Key != "":
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Key, p.Msg)
	case p.Line > 0:
		return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
	case p.Key != "":
		return fmt.Sprintf("%s: %s", p.Key, p.Msg)
	}
	return p.Msg
}

// Problems is every problem found in one file. It is the error Load returns.
type Problems struct {
	File string
	List []Problem
}

func (ps *Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem", ps.File, len(ps.List))
	if len(ps.List) != 1 {
		b.WriteString("s")
	}
	for _, p := range ps.List {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

func (ps *Problems) add(key string, line int, format string, args ...any) {
	ps.List = append(ps.List, Problem{Key: key, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// sort orders problems by line, then key, so output follows the file.
func (ps *Problems) sort() {
	sort.SliceStable(ps.List, func(i, j int) bool {
		a, b := ps.List[i], ps.List[j]
		if a.Line != b.Line {
			if a.Line == 0 || b.Line == 0 {
				return b.Line == 0
			}
			return a.Line < b.Line
		}
		return a.Key < b.Key
	})
}
