package service

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/api"
)

// TestRoutes_MatchContract checks that the service serves exactly the
// operations of sync/api/openapi.yaml, no more and no fewer.
func TestRoutes_MatchContract(t *testing.T) {
	ops, err := api.Operations()
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, op := range ops {
		want = append(want, op.Pattern())
	}
	for _, rt := range (&Server{}).contractRoutes() {
		got = append(got, rt.method+" "+rt.path)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("service routes %q, contract operations %q", got, want)
	}
}

// TestRoutes_ReachHandlers sends each contract operation through the real
// handler and checks that the router did not answer it, and that the status
// is one the contract lists for the operation (or its default).
func TestRoutes_ReachHandlers(t *testing.T) {
	f := newFixture(t, nil)
	ops, err := api.Operations()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		t.Run(op.Pattern(), func(t *testing.T) {
			path := op.Path
			if strings.Contains(path, "/devices/") {
				path = strings.ReplaceAll(path, "{id}", testDevice)
			} else {
				path = strings.ReplaceAll(path, "{id}", uuid.NewString())
			}
			resp, body := f.do(f.deviceRequest(op.Method, path, nil))
			if resp.StatusCode == http.StatusMethodNotAllowed {
				t.Fatalf("%s %s: 405, the router does not know this operation", op.Method, path)
			}
			var p api.Problem
			if json.Unmarshal(body, &p) == nil && p.Type == probNoRoute {
				t.Fatalf("%s %s: answered by the router's 404", op.Method, path)
			}
			if !slices.Contains(op.Responses, strconv.Itoa(resp.StatusCode)) && !slices.Contains(op.Responses, "default") {
				t.Errorf("%s %s: status %d is not in the contract's responses %v", op.Method, path, resp.StatusCode, op.Responses)
			}
		})
	}
}
