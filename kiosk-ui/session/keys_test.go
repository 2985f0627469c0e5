package session

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// MessageKeys must list every Key constant, or the catalogue check (in
// package kioskui) would miss one.
func TestMessageKeys_ListsEveryConstant(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if strings.HasPrefix(name.Name, "Key") && i < len(vs.Values) {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
					v, _ := strconv.Unquote(lit.Value)
					consts = append(consts, v)
				}
			}
		}
		return true
	})
	if len(consts) < 15 {
		t.Fatalf("found only %d key constants; the scan is broken", len(consts))
	}
	listed := MessageKeys()
	for _, k := range consts {
		if !slices.Contains(listed, k) {
			t.Errorf("key %q is a constant but not in MessageKeys", k)
		}
	}
	if len(listed) != len(consts) {
		t.Errorf("MessageKeys has %d keys, keys.go declares %d", len(listed), len(consts))
	}
}
