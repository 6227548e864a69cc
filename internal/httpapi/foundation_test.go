package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/api"
	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/store/storetest"
)

func newFoundationServer(t *testing.T, opt Options) (*Server, *apitest.SyncBuffer) {
	t.Helper()
	logs := &apitest.SyncBuffer{}
	s, err := New(opt, Deps{DB: storetest.SQLite(t), Log: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

// addTestRoutes mounts routes that exist only in tests, to drive middleware
// through the real engine.
func addTestRoutes(s *Server) {
	s.engine.GET("/test/panic", func(c *gin.Context) { panic("secret internal detail") })
	s.engine.POST("/test/echo", func(c *gin.Context) {
		var in struct {
			Name  string `json:"name"`
			Count int    `json:"count"`
			Tags  []string
		}
		if err := decodeJSON(c, &in); err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, in)
	})
}

// raw sends a request to a test-only route and checks that any error is a
// well-formed problem with a request id.
func raw(t *testing.T, s *Server, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Header().Get("X-Request-ID") == "" {
		t.Errorf("no X-Request-ID on %s %s", req.Method, req.URL)
	}
	if rec.Code >= 400 {
		apitest.LoadContract(t).CheckResponse(t, httptest.NewRequest("GET", "/no-such-route-for-problem-check", nil), http.StatusNotFound, rec.Header(), rec.Body.Bytes())
	}
	return rec
}

func TestOperationsRoutes(t *testing.T) {
	s, _ := newFoundationServer(t, Options{MetricsPublic: true})
	c := apitest.NewClient(t, s.Handler())
	if got := c.Get("/healthz").Want(t, 200).Map(t); got["status"] != "ok" {
		t.Fatalf("healthz = %v", got)
	}
	c.Get("/readyz").Want(t, 200)
	spec := c.Get("/api/v1/openapi.yaml").Want(t, 200)
	if !bytes.Equal(spec.Body, api.OpenAPI) {
		t.Fatal("served spec differs from api/openapi.yaml")
	}
	m := string(c.Get("/metrics").Want(t, 200).Body)
	for _, want := range []string{
		`upskill_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		"upskill_http_request_duration_seconds_bucket",
		"go_goroutines", "go_sql_max_open_connections",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestReadyzWhenDatabaseIsDown(t *testing.T) {
	s, _ := newFoundationServer(t, Options{})
	c := apitest.NewClient(t, s.Handler())
	s.DB.Close()
	c.Get("/readyz").Want(t, http.StatusServiceUnavailable)
	c.Get("/healthz").Want(t, http.StatusOK)
}

// Without a token and without UPSKILL_METRICS_PUBLIC, /metrics is off: a
// process behind a proxy on the same host publishes nothing by accident.
func TestMetricsOffByDefault(t *testing.T) {
	s, _ := newFoundationServer(t, Options{})
	c := apitest.NewClient(t, s.Handler())
	res := c.Get("/metrics").Want(t, http.StatusNotFound)
	if body := string(res.Body); !strings.Contains(body, "UPSKILL_METRICS_TOKEN") || strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics when off: %s", body)
	}
	// A token still wins over public: both set means the token is needed.
	s, _ = newFoundationServer(t, Options{MetricsToken: "s3cret-metrics", MetricsPublic: true})
	apitest.NewClient(t, s.Handler()).Get("/metrics").Want(t, http.StatusUnauthorized)
}

func TestMetricsToken(t *testing.T) {
	s, _ := newFoundationServer(t, Options{MetricsToken: "s3cret-metrics"})
	c := apitest.NewClient(t, s.Handler())
	res := c.Get("/metrics").Want(t, http.StatusUnauthorized)
	if res.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	c.As("wrong").Get("/metrics").Want(t, http.StatusUnauthorized)
	c.As("s3cret-metrics").Get("/metrics").Want(t, http.StatusOK)
}

func TestRequestID(t *testing.T) {
	s, _ := newFoundationServer(t, Options{})
	c := apitest.NewClient(t, s.Handler())
	cases := []struct {
		name, sent string
		kept       bool
	}{
		{"client id kept", "abc-123_XYZ", true},
		{"too long replaced", strings.Repeat("a", 65), false},
		{"unprintable replaced", "abc\x01def", false},
		{"space replaced", "abc def", false},
		{"missing generated", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var opts []apitest.Option
			if tc.sent != "" {
				opts = append(opts, apitest.Header("X-Request-ID", tc.sent))
			}
			got := c.Get("/healthz", opts...).Header.Get("X-Request-ID")
			if tc.kept && got != tc.sent {
				t.Fatalf("X-Request-ID = %q, want %q", got, tc.sent)
			}
			if !tc.kept && (got == tc.sent || len(got) < 16) {
				t.Fatalf("X-Request-ID = %q, want a generated id", got)
			}
		})
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	s, _ := newFoundationServer(t, Options{})
	c := apitest.NewClient(t, s.Handler())
	p := c.Get("/api/v1/nope").Want(t, 404).Map(t)
	if p["type"] != ProblemTypeBase+"not-found" || p["request_id"] == "" {
		t.Fatalf("404 problem = %v", p)
	}
	res := c.Delete("/healthz").Want(t, 405)
	if res.Header.Get("Allow") != "GET" {
		t.Errorf("Allow = %q", res.Header.Get("Allow"))
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	s, logs := newFoundationServer(t, Options{})
	addTestRoutes(s)
	rec := raw(t, s, httptest.NewRequest("GET", "/test/panic", nil))
	if rec.Code != 500 {
		t.Fatalf("status = %d", rec.Code)
	}
	body := rec.Body.String()
	if strings.Contains(body, "secret internal detail") || strings.Contains(body, "goroutine") || strings.Contains(body, ".go:") {
		t.Fatalf("500 body leaks the panic: %s", body)
	}
	var p map[string]any
	json.Unmarshal(rec.Body.Bytes(), &p)
	if p["request_id"] != rec.Header().Get("X-Request-ID") {
		t.Fatalf("problem request_id %v != header %s", p["request_id"], rec.Header().Get("X-Request-ID"))
	}
	if l := logs.String(); !strings.Contains(l, "secret internal detail") || !strings.Contains(l, "foundation_test.go") {
		t.Fatalf("log lacks the panic and its stack: %s", l)
	}
}

func TestBodyLimit(t *testing.T) {
	s, _ := newFoundationServer(t, Options{MaxBodyBytes: 2048})
	addTestRoutes(s)
	big := `{"name":"` + strings.Repeat("x", 4096) + `"}`
	// Declared length over the limit: refused before reading.
	req := httptest.NewRequest("POST", "/test/echo", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	if rec := raw(t, s, req); rec.Code != 413 {
		t.Fatalf("status = %d, want 413", rec.Code)
	}
	// Unknown length (chunked): refused while decoding.
	req = httptest.NewRequest("POST", "/test/echo", strings.NewReader(big))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	if rec := raw(t, s, req); rec.Code != 413 {
		t.Fatalf("chunked status = %d, want 413: %s", rec.Code, rec.Body)
	}
	req = httptest.NewRequest("POST", "/test/echo", strings.NewReader(`{"name":"ok"}`))
	req.Header.Set("Content-Type", "application/json")
	if rec := raw(t, s, req); rec.Code != 200 {
		t.Fatalf("small body status = %d", rec.Code)
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	s, _ := newFoundationServer(t, Options{})
	addTestRoutes(s)
	cases := []struct {
		name, body, ctype string
		status            int
		mention           string
	}{
		{"malformed", `{"name": "a",}`, "application/json", 400, "malformed JSON"},
		{"truncated", `{"name": "a"`, "application/json", 400, "malformed JSON"},
		{"trailing data", `{"name":"a"} {"name":"b"}`, "application/json", 400, "after the JSON value"},
		{"unknown field", `{"name":"a","admin":true}`, "application/json", 400, `"admin"`},
		{"wrong type", `{"name":"a","count":"seven"}`, "application/json", 400, `"count"`},
		{"array not object", `[1,2]`, "application/json", 400, "object"},
		{"empty body", ``, "application/json", 400, "empty"},
		{"NUL in a string", `{"name":"a\u0000b"}`, "application/json", 400, `"name"`},
		{"NUL in a list", `{"name":"a","Tags":["ok","\u0000"]}`, "application/json", 400, `Tags[1]`},
		{"wrong media type", `{"name":"a"}`, "text/plain", 415, "application/json"},
		{"fine", `{"name":"a","count":3}`, "application/json; charset=utf-8", 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/test/echo", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			rec := raw(t, s, req)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tc.mention) {
				t.Fatalf("body %s does not mention %q", rec.Body, tc.mention)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	s, _ := newFoundationServer(t, Options{CORSOrigins: []string{"https://app.example.com"}})
	c := apitest.NewClient(t, s.Handler())
	res := c.Get("/healthz", apitest.Header("Origin", "https://app.example.com"))
	if res.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("allowed origin not echoed: %v", res.Header)
	}
	res = c.Get("/healthz", apitest.Header("Origin", "https://evil.example.com"))
	if res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("unlisted origin allowed")
	}
	req := httptest.NewRequest("OPTIONS", "/api/v1/openapi.yaml", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "GET")
	rec := raw(t, s, req)
	if rec.Code != 204 || !strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight = %d %v", rec.Code, rec.Header())
	}
}

func TestSecurityHeaders(t *testing.T) {
	s, _ := newFoundationServer(t, Options{BaseURL: "https://lms.example.com"})
	res := apitest.NewClient(t, s.Handler()).Get("/healthz")
	for k, v := range map[string]string{
		"X-Content-Type-Options":    "nosniff",
		"X-Frame-Options":           "DENY",
		"Strict-Transport-Security": "max-age=31536000",
	} {
		if res.Header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, res.Header.Get(k), v)
		}
	}
}

// Every route Gin serves is in the spec and every operation in the spec is
// served.
func TestRoutesMatchContract(t *testing.T) {
	s, _ := newFoundationServer(t, Options{})
	served := s.EngineRoutes()
	slices.Sort(served)
	spec := apitest.LoadContract(t).Operations()
	for _, r := range served {
		if !slices.Contains(spec, r) {
			t.Errorf("%s is served but not in api/openapi.yaml", r)
		}
	}
	for _, op := range spec {
		if !slices.Contains(served, op) {
			t.Errorf("%s is in api/openapi.yaml but not served", op)
		}
	}
}
