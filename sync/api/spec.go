package api

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Spec is the OpenAPI 3.1 description of the contract, as served to anyone
// who asks and as checked against the Go types by this package's tests.
//
//go:embed openapi.yaml
var Spec []byte

// Operation is one method on one path of the contract.
type Operation struct {
	Method    string   // upper case: GET, PUT, POST, ...
	Path      string   // the OpenAPI path template, e.g. /v1/profiles/{id}
	ID        string   // the operationId
	Responses []string // status codes as written in the spec ("201", "default"), sorted
}

// Pattern returns the operation as a net/http ServeMux pattern, e.g.
// "PUT /v1/profiles/{id}". OpenAPI and ServeMux share the {name} syntax, so a
// service can register exactly these patterns and test that it did.
func (o Operation) Pattern() string {
	return o.Method + " " + o.Path
}

// Operations lists every operation in Spec, sorted by path then method.
func Operations() ([]Operation, error) {
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string               `yaml:"operationId"`
			Responses   map[string]yaml.Node `yaml:"responses"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(Spec, &doc); err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	var ops []Operation
	for path, item := range doc.Paths {
		for method, op := range item {
			if !isMethod(method) {
				continue
			}
			codes := make([]string, 0, len(op.Responses))
			for code := range op.Responses {
				codes = append(codes, code)
			}
			slices.Sort(codes)
			ops = append(ops, Operation{
				Method:    strings.ToUpper(method),
				Path:      path,
				ID:        op.OperationID,
				Responses: codes,
			})
		}
	}
	slices.SortFunc(ops, func(a, b Operation) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return ops, nil
}

// isMethod reports whether a key of an OpenAPI path item is an operation
// rather than "parameters", "summary" or "servers".
func isMethod(key string) bool {
	switch key {
	case "get", "put", "post", "delete", "options", "head", "patch", "trace":
		return true
	}
	return false
}
