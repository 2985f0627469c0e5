package api

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// spec is openapi.yaml as generic maps, with a resolver for local $refs.
type spec map[string]any

func loadSpec(t *testing.T) spec {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(Spec, &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	return doc
}

// get walks keys from root, following a $ref wherever one stands in for an
// object, and fails the test if any key is missing.
func (s spec) get(t *testing.T, node any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m := s.resolve(t, node)
		v, ok := m[k]
		if !ok {
			t.Fatalf("openapi.yaml: no %q at %s", k, strings.Join(keys[:i], "."))
		}
		node = v
	}
	return node
}

func (s spec) resolve(t *testing.T, node any) map[string]any {
	t.Helper()
	if root, ok := node.(spec); ok {
		return root
	}
	m, ok := node.(map[string]any)
	if !ok {
		t.Fatalf("openapi.yaml: found a %T, want an object", node)
	}
	ref, ok := m["$ref"].(string)
	if !ok {
		return m
	}
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		t.Fatalf("openapi.yaml: non-local $ref %q", ref)
	}
	return s.resolve(t, s.get(t, s, strings.Split(path, "/")...))
}

func TestSpec_IsOpenAPI31(t *testing.T) {
	s := loadSpec(t)
	v, _ := s["openapi"].(string)
	if !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
}

// contract is the contract as DESIGN.md states it: every operation and every
// status code it may answer with.
var contract = []struct {
	method, path string
	codes        []string
	// anonymous is set for the one operation made without a client
	// certificate: enrollment, where the one-time code is the credential.
	anonymous bool
}{
	{"PUT", "/v1/profiles/{id}", []string{"201", "400", "401", "403", "409", "413", "422"}, false},
	{"GET", "/v1/profiles/{id}/status", []string{"200", "400", "401", "403", "404"}, false},
	{"POST", "/v1/accounts/lookup", []string{"200", "400", "401", "403", "429"}, false},
	{"POST", "/v1/devices/{id}/heartbeat", []string{"204", "400", "401", "403"}, false},
	{"POST", "/v1/enroll", []string{"201", "400", "401", "403"}, true},
	{"GET", "/v1/keys", []string{"200", "401", "403"}, false},
}

func TestOperations_MatchContract(t *testing.T) {
	ops, err := Operations()
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, op := range ops {
		got = append(got, op.Pattern())
	}
	for _, c := range contract {
		want = append(want, c.method+" "+c.path)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("operations in openapi.yaml:\n got %q\nwant %q", got, want)
	}
	for _, c := range contract {
		i := slices.IndexFunc(ops, func(o Operation) bool { return o.Method == c.method && o.Path == c.path })
		op := ops[i]
		if op.ID == "" {
			t.Errorf("%s has no operationId", op.Pattern())
		}
		for _, code := range c.codes {
			if !slices.Contains(op.Responses, code) {
				t.Errorf("%s responses = %q, missing %s", op.Pattern(), op.Responses, code)
			}
		}
		if !slices.Contains(op.Responses, "default") {
			t.Errorf("%s has no default (problem) response", op.Pattern())
		}
	}
}

// Every error answer is a problem document, and every operation but
// enrollment is authenticated by the device's client certificate: that is
// what lets one client decode all errors the same way.
func TestSpec_ErrorsAreProblemsAndAuthIsMutualTLS(t *testing.T) {
	s := loadSpec(t)
	for _, c := range contract {
		op := s.get(t, s, "paths", c.path, strings.ToLower(c.method))
		responses := s.resolve(t, s.get(t, op, "responses"))
		for code := range responses {
			if strings.HasPrefix(code, "2") {
				continue
			}
			ref := s.get(t, responses[code], "content", "application/problem+json", "schema")
			if r, _ := ref.(map[string]any)["$ref"].(string); r != "#/components/schemas/Problem" {
				t.Errorf("%s %s %s: schema %v, want $ref Problem", c.method, c.path, code, ref)
			}
		}
		security, own := s.resolve(t, op)["security"]
		if c.anonymous {
			if l, ok := security.([]any); !own || !ok || len(l) != 0 {
				t.Errorf("%s %s: security %v, want [] (no client certificate yet)", c.method, c.path, security)
			}
			continue
		}
		params := s.get(t, op, "parameters").([]any)
		if !hasParam(t, s, params, "header", HeaderDeviceID) {
			t.Errorf("%s %s: no required %s header", c.method, c.path, HeaderDeviceID)
		}
		if own {
			t.Errorf("%s %s overrides the global security requirement", c.method, c.path)
		}
	}

	scheme := s.resolve(t, s.get(t, s, "components", "securitySchemes", "deviceCertificate"))
	if scheme["type"] != "mutualTLS" {
		t.Errorf("deviceCertificate scheme = %v, want mutualTLS", scheme)
	}
	global := s.get(t, s, "security").([]any)
	if len(global) != 1 || s.resolve(t, global[0])["deviceCertificate"] == nil {
		t.Errorf("global security = %v, want [deviceCertificate]", global)
	}
}

func TestSpec_PutProfileHeadersAndBody(t *testing.T) {
	s := loadSpec(t)
	op := s.get(t, s, "paths", "/v1/profiles/{id}", "put")
	params := s.get(t, op, "parameters").([]any)
	for _, h := range []string{HeaderIdempotencyKey, HeaderContentDigest, HeaderDeviceID} {
		if !hasParam(t, s, params, "header", h) {
			t.Errorf("PUT /v1/profiles/{id}: no required %s header", h)
		}
	}
	s.get(t, op, "requestBody", "content", EnvelopeMediaType)
	for _, code := range []string{"409"} {
		s.get(t, op, "responses", code, "headers", "Retry-After")
	}
	s.get(t, s, "paths", "/v1/accounts/lookup", "post", "responses", "429", "headers", "Retry-After")

	// The example digest must be one ContentDigest could have produced.
	ex, _ := s.get(t, paramNamed(t, s, params, HeaderContentDigest), "example").(string)
	if want := ContentDigest(nil); ex != want {
		t.Errorf("Content-Digest example = %q, want %q (digest of the empty body)", ex, want)
	}
}

func hasParam(t *testing.T, s spec, params []any, in, name string) bool {
	t.Helper()
	for _, p := range params {
		m := s.resolve(t, p)
		if m["in"] == in && strings.EqualFold(fmt.Sprint(m["name"]), name) && m["required"] == true {
			return true
		}
	}
	return false
}

func paramNamed(t *testing.T, s spec, params []any, name string) map[string]any {
	t.Helper()
	for _, p := range params {
		if m := s.resolve(t, p); m["name"] == name {
			return m
		}
	}
	t.Fatalf("no parameter %q", name)
	return nil
}

// TestSpec_SchemasMatchGoTypes reflects over the json tags of the Go types so
// that a field added, renamed or made optional on one side fails here.
func TestSpec_SchemasMatchGoTypes(t *testing.T) {
	s := loadSpec(t)
	for _, tt := range []struct {
		schema string
		typ    reflect.Type
	}{
		{"ProfileStatus", reflect.TypeFor[ProfileStatus]()},
		{"StoreResult", reflect.TypeFor[StoreResult]()},
		{"LookupRequest", reflect.TypeFor[LookupRequest]()},
		{"LookupResponse", reflect.TypeFor[LookupResponse]()},
		{"Heartbeat", reflect.TypeFor[Heartbeat]()},
		{"Problem", reflect.TypeFor[Problem]()},
		{"EnrollRequest", reflect.TypeFor[EnrollRequest]()},
		{"EnrollResponse", reflect.TypeFor[EnrollResponse]()},
		{"ServiceKeys", reflect.TypeFor[ServiceKeys]()},
		{"ServiceKey", reflect.TypeFor[ServiceKey]()},
		{"KeySuite", reflect.TypeFor[KeySuite]()},
	} {
		t.Run(tt.schema, func(t *testing.T) {
			sch := s.resolve(t, s.get(t, s, "components", "schemas", tt.schema))
			props := s.resolve(t, s.get(t, sch, "properties"))

			var gotProps, wantProps, gotReq, wantReq []string
			for name := range props {
				gotProps = append(gotProps, name)
			}
			if req, ok := sch["required"].([]any); ok {
				for _, r := range req {
					gotReq = append(gotReq, fmt.Sprint(r))
				}
			}
			for f := range tt.typ.Fields() {
				name, omitempty, skip := jsonName(f)
				if skip {
					continue
				}
				wantProps = append(wantProps, name)
				if !omitempty {
					wantReq = append(wantReq, name)
				}
				if p, ok := props[name]; ok {
					if got, want := schemaType(t, s, p), goSchemaType(f.Type); got != want {
						t.Errorf("property %s: schema type %s, Go type %s wants %s", name, got, f.Type, want)
					}
				}
			}
			for _, l := range [][]string{gotProps, wantProps, gotReq, wantReq} {
				slices.Sort(l)
			}
			if !slices.Equal(gotProps, wantProps) {
				t.Errorf("properties: spec %q, Go json tags %q", gotProps, wantProps)
			}
			if !slices.Equal(gotReq, wantReq) {
				t.Errorf("required: spec %q, Go fields without omitempty %q", gotReq, wantReq)
			}
		})
	}
}

func jsonName(f reflect.StructField) (name string, omitempty, skip bool) {
	tag := f.Tag.Get("json")
	if tag == "-" || !f.IsExported() {
		return "", false, true
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, slices.Contains(strings.Split(opts, ","), "omitempty"), false
}

// schemaType summarises a property schema as "type" or "type/format".
func schemaType(t *testing.T, s spec, p any) string {
	m := s.resolve(t, p)
	typ := fmt.Sprint(m["type"])
	if f, ok := m["format"]; ok && f == "date-time" {
		return typ + "/date-time"
	}
	return typ
}

func goSchemaType(typ reflect.Type) string {
	if typ == reflect.TypeFor[time.Time]() {
		return "string/date-time"
	}
	if typ == reflect.TypeFor[[]byte]() {
		return "string" // encoding/json writes []byte as base64
	}
	switch typ.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Pointer:
		return goSchemaType(typ.Elem())
	case reflect.Slice:
		return "array"
	}
	return typ.Kind().String()
}

func ExampleOperations() {
	ops, err := Operations()
	if err != nil {
		panic(err)
	}
	for _, op := range ops {
		fmt.Println(op.Pattern(), op.Responses)
	}
	// Output:
	// POST /v1/accounts/lookup [200 400 401 403 429 default]
	// POST /v1/devices/{id}/heartbeat [204 400 401 403 default]
	// POST /v1/enroll [201 400 401 403 default]
	// GET /v1/keys [200 401 403 default]
	// PUT /v1/profiles/{id} [201 400 401 403 409 413 422 default]
	// GET /v1/profiles/{id}/status [200 400 401 403 404 default]
}
