// Package apitest drives the real HTTP handler in tests and holds every
// response against api/openapi.yaml, so a handler that drifts from the
// contract fails its own test.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/upskill/upskill/api"
)

// Contract is the parsed OpenAPI document and a router over it.
type Contract struct {
	Doc    *openapi3.T
	router routers.Router
}

var (
	contractOnce sync.Once
	contract     *Contract
	contractErr  error
)

// LoadContract parses and validates api/openapi.yaml once per test binary.
func LoadContract(t testing.TB) *Contract {
	t.Helper()
	contractOnce.Do(func() {
		for _, ct := range []string{"text/plain", "text/html", "application/yaml", "text/csv", "application/pdf",
			"image/png", "image/jpeg", "image/gif", "image/webp",
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			"application/vc+jwt"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
		}
		// SCIM speaks JSON under its own media type.
		openapi3filter.RegisterBodyDecoder("application/scim+json", openapi3filter.JSONBodyDecoder)
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.OpenAPI)
		if err != nil {
			contractErr = fmt.Errorf("parse api/openapi.yaml: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			contractErr = fmt.Errorf("api/openapi.yaml is not a valid OpenAPI document: %w", err)
			return
		}
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			contractErr = fmt.Errorf("route api/openapi.yaml: %w", err)
			return
		}
		contract = &Contract{Doc: doc, router: r}
	})
	if contractErr != nil {
		t.Fatal(contractErr)
	}
	return contract
}

// Operations lists the spec's operations as "METHOD /path/{param}", sorted.
func (c *Contract) Operations() []string {
	var out []string
	for path, item := range c.Doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// CheckResponse fails the test when the response does not match the
// operation's declared status, headers, media type and body schema.
func (c *Contract) CheckResponse(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if header.Get("X-Request-ID") == "" {
		t.Errorf("%s %s: response has no X-Request-ID", req.Method, req.URL.Path)
	}
	ct := header.Get("Content-Type")
	// SCIM answers its errors in SCIM's own format (RFC 7644 3.12).
	if scim := strings.HasPrefix(req.URL.Path, "/scim/"); scim && status >= 400 && status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
		if !strings.HasPrefix(ct, "application/scim+json") {
			t.Errorf("%s %s: SCIM error %d has Content-Type %q, want application/scim+json; body: %s", req.Method, req.URL.Path, status, ct, body)
		}
	} else if !scim && status >= 400 && !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s %s: error %d has Content-Type %q, want application/problem+json; body: %s", req.Method, req.URL.Path, status, ct, body)
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		// Only unknown routes and methods may fall outside the spec, and
		// they must still answer with a problem.
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s answered %d but the route is not in api/openapi.yaml: %v", req.Method, req.URL.Path, status, err)
			return
		}
		c.checkProblem(t, req, body)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: status,
		Header: header,
		Body:   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: response %d breaks api/openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, status, err, truncate(body))
	}
}

func (c *Contract) checkProblem(t testing.TB, req *http.Request, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("%s %s: problem body is not JSON: %v", req.Method, req.URL.Path, err)
		return
	}
	if err := c.Doc.Components.Schemas["Problem"].Value.VisitJSON(v); err != nil {
		t.Errorf("%s %s: body is not a Problem: %v", req.Method, req.URL.Path, err)
	}
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// Client sends requests to a handler through httptest and checks every
// response against the contract.
type Client struct {
	t        testing.TB
	handler  http.Handler
	contract *Contract
	// Token, when set, is sent as a bearer token.
	Token string
}

// NewClient returns a contract-checking client for h.
func NewClient(t testing.TB, h http.Handler) *Client {
	t.Helper()
	return &Client{t: t, handler: h, contract: LoadContract(t)}
}

// As returns a copy of the client that sends token.
func (c *Client) As(token string) *Client {
	cp := *c
	cp.Token = token
	return &cp
}

// Response is a recorded response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v, failing the test when it cannot.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d response: %v\nbody: %s", r.Status, err, truncate(r.Body))
	}
}

// Map decodes the body into a generic map.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.Decode(t, &m)
	return m
}

// Option changes a request before it is sent.
type Option func(*http.Request)

// Header sets a request header.
func Header(k, v string) Option { return func(r *http.Request) { r.Header.Set(k, v) } }

// Do sends a request. body may be nil, a string or []byte (sent as is,
// JSON unless a Content-Type option says otherwise) or any other value
// (encoded as JSON).
func (c *Client) Do(method, path string, body any, opts ...Option) *Response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("encode request body: %v", err)
		}
		rd = bytes.NewReader(enc)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	c.handler.ServeHTTP(rec, req)
	res := &Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	c.contract.CheckResponse(c.t, req, res.Status, res.Header, res.Body)
	return res
}

// Get, Post, Put, Patch and Delete are shorthands for Do.
func (c *Client) Get(path string, opts ...Option) *Response {
	c.t.Helper()
	return c.Do("GET", path, nil, opts...)
}
func (c *Client) Post(path string, body any, opts ...Option) *Response {
	c.t.Helper()
	return c.Do("POST", path, body, opts...)
}
func (c *Client) Put(path string, body any, opts ...Option) *Response {
	c.t.Helper()
	return c.Do("PUT", path, body, opts...)
}
func (c *Client) Patch(path string, body any, opts ...Option) *Response {
	c.t.Helper()
	return c.Do("PATCH", path, body, opts...)
}
func (c *Client) Delete(path string, opts ...Option) *Response {
	c.t.Helper()
	return c.Do("DELETE", path, nil, opts...)
}

// Want fails the test unless the response has the status.
func (r *Response) Want(t testing.TB, status int) *Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, truncate(r.Body))
	}
	return r
}

// WantField fails the test unless the body is a problem whose field errors
// name field.
func (r *Response) WantField(t testing.TB, field string) *Response {
	t.Helper()
	var p struct {
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	r.Decode(t, &p)
	for _, e := range p.Errors {
		if e.Field == field {
			return r
		}
	}
	t.Fatalf("no field error for %q; body: %s", field, truncate(r.Body))
	return r
}
