package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/web"
)

func newWebServer(t *testing.T) *Server {
	t.Helper()
	app, err := web.New(web.Dist())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newFoundationServer(t, Options{Web: app})
	return s
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

// GET / is in the contract; the app's page carries its own CSP and cache
// rules instead of the API's.
func TestWebAppAtRoot(t *testing.T) {
	s := newWebServer(t)
	res := apitest.NewClient(t, s.Handler()).Get("/", apitest.Header("Accept", "text/html")).Want(t, 200)
	if !strings.Contains(string(res.Body), `<div id="app">`) {
		t.Fatalf("GET / is not the app: %s", res.Body)
	}
	if got := res.Header.Get("Content-Security-Policy"); got != web.CSP {
		t.Errorf("CSP %q, want %q", got, web.CSP)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", got)
	}
	if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("X-Request-ID") == "" {
		t.Errorf("the API's security headers are missing: %v", res.Header)
	}
}

func TestWebAppClientRoutesFallBackToIndex(t *testing.T) {
	s := newWebServer(t)
	for _, p := range []string{"/sign-in", "/modules/ai-basics", "/modules/ai-basics/lessons/intro", "/verify/abc"} {
		w := get(t, s.Handler(), p)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `<div id="app">`) {
			t.Errorf("GET %s: %d, want the app", p, w.Code)
		}
	}
}

// The fallback never swallows the server's own paths: they keep their
// problem+json 404s (and the API keeps no-store).
func TestWebAppLeavesServerPathsAlone(t *testing.T) {
	s := newWebServer(t)
	for _, p := range []string{"/api/v1/nope", "/api/v2", "/scim/v2/Nope", "/.well-known/nope", "/healthz/x",
		"/readyz/x", "/metrics/x", "/assets/missing-123.js"} {
		w := get(t, s.Handler(), p)
		if w.Code != 404 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
			t.Errorf("GET %s: %d %s, want a problem+json 404", p, w.Code, w.Header().Get("Content-Type"))
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", p, w.Header().Get("Cache-Control"))
		}
	}
	if w := get(t, s.Handler(), "/healthz"); w.Code != 200 || !strings.Contains(w.Body.String(), `"ok"`) {
		t.Errorf("/healthz: %d %s", w.Code, w.Body.String())
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/modules/x", nil))
	if w.Code != 404 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
		t.Errorf("POST /modules/x: %d, want a problem+json 404", w.Code)
	}
}

func TestWebAppHashedAssets(t *testing.T) {
	s := newWebServer(t)
	page := get(t, s.Handler(), "/").Body.String()
	i := strings.Index(page, "/assets/")
	if i < 0 {
		t.Fatalf("index.html names no asset: %s", page)
	}
	asset := page[i : i+strings.IndexAny(page[i:], `"'`)]
	r := httptest.NewRequest(http.MethodGet, asset, nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("GET %s: %d, Cache-Control %q", asset, w.Code, w.Header().Get("Cache-Control"))
	}
	if w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("GET %s: not gzipped", asset)
	}
}

// Without a web app, / says where the API is.
func TestNoWebApp(t *testing.T) {
	s, _ := newFoundationServer(t, Options{})
	apitest.NewClient(t, s.Handler()).Get("/").Want(t, 404)
}

// The certificate's QR code opens the web app's verification page.
func TestCertificateQRPointsAtVerifyPage(t *testing.T) {
	s, _ := newFoundationServer(t, Options{BaseURL: "https://upskill.example.com/"})
	if got, want := s.recordVerifyURL("0b9e5a52-7a0c"), "https://upskill.example.com/verify/0b9e5a52-7a0c"; got != want {
		t.Errorf("QR URL = %q, want %q", got, want)
	}
	if !strings.HasPrefix(s.recordVerifyURL("a/b"), "https://upskill.example.com/verify/a%2Fb") {
		t.Errorf("id not escaped: %q", s.recordVerifyURL("a/b"))
	}
}
