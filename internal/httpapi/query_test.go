package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
)

// listRoutes are the routes that take query parameters: every one lists
// them in the routing table.
func listRoutes(t *testing.T, e *testEnv) []Route {
	t.Helper()
	var out []Route
	for _, r := range e.srv.Routes() {
		if r.Query != nil {
			out = append(out, r)
		}
	}
	if len(out) < 11 {
		t.Fatalf("only %d routes list their query parameters", len(out))
	}
	return out
}

// TestListRoutesRefuseUnknownParameters: on every list route a typo or an
// unknown parameter answers 400 naming it, and a malformed cursor 400
// naming cursor, instead of silently listing everything.
func TestListRoutesRefuseUnknownParameters(t *testing.T) {
	e := newTestEnv(t)
	u := e.user(identity.AllRoles...)
	c := e.c.As(e.token(u))
	for _, r := range listRoutes(t, e) {
		path := paramRE.ReplaceAllString(r.Path, "x-missing")
		t.Run(r.Path, func(t *testing.T) {
			var p struct {
				Detail string `json:"detail"`
				Errors []struct {
					Field string `json:"field"`
				} `json:"errors"`
			}
			c.Get(path+"?departmnet=Sales").Want(t, 400).Decode(t, &p)
			if len(p.Errors) != 1 || p.Errors[0].Field != "departmnet" || !strings.Contains(p.Detail, `"departmnet"`) {
				t.Fatalf("unknown parameter: %+v", p)
			}
			if !slices.Contains(r.Query, "cursor") {
				return
			}
			c.Get(path+"?cursor=%21%21not-a-cursor").Want(t, 400).Decode(t, &p)
			if len(p.Errors) != 1 || p.Errors[0].Field != "cursor" {
				t.Fatalf("malformed cursor: %+v", p)
			}
		})
	}
}

// TestListRouteParametersMatchTheSpec: what a route accepts is what
// api/openapi.yaml documents, and every operation of the spec that pages
// (takes limit) checks its parameters.
func TestListRouteParametersMatchTheSpec(t *testing.T) {
	e := newTestEnv(t)
	doc := apitest.LoadContract(t).Doc
	for _, r := range e.srv.Routes() {
		op := doc.Paths.Find(r.Path).GetOperation(r.Method)
		var spec []string
		for _, p := range append(doc.Paths.Find(r.Path).Parameters, op.Parameters...) {
			if p.Value.In == "query" {
				spec = append(spec, p.Value.Name)
			}
		}
		slices.Sort(spec)
		if r.Query == nil {
			if r.Method == http.MethodGet && slices.Contains(spec, "limit") {
				t.Errorf("%s %s pages but does not check its query parameters", r.Method, r.Path)
			}
			continue
		}
		got := slices.Sorted(slices.Values(r.Query))
		if !slices.Equal(got, spec) {
			t.Errorf("%s %s takes %v, the spec documents %v", r.Method, r.Path, got, spec)
		}
	}
}
