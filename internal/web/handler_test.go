package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

var testIndex = `<!doctype html><html lang="en"><head><title>upskill</title>` +
	`<script type="module" src="/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>`

func testApp(t *testing.T) *App {
	t.Helper()
	a, err := New(fstest.MapFS{
		"index.html":             {Data: []byte(testIndex)},
		"assets/index-abc123.js": {Data: []byte(strings.Repeat("console.log('upskill');\n", 100))},
		"assets/logo-def456.png": {Data: []byte("\x89PNG fake")},
		"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func serve(a *App, method, path string, hdr ...string) (*httptest.ResponseRecorder, bool) {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	return w, a.Serve(w, r)
}

func TestServesIndexAndClientRoutes(t *testing.T) {
	a := testApp(t)
	for _, p := range []string{"/", "/index.html", "/modules/ai-basics", "/modules/ai-basics/lessons/01-intro",
		"/verify/0b9e5a52-7a0c-4d8e-bb53-6c1f3f2a9d10", "/records", "/healthzz", "/apis"} {
		w, ok := serve(a, http.MethodGet, p)
		if !ok || w.Code != 200 {
			t.Fatalf("GET %s: served=%v status %d, want the app", p, ok, w.Code)
		}
		if w.Body.String() != testIndex {
			t.Errorf("GET %s: body is not index.html: %q", p, w.Body.String())
		}
		if got := w.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", p, got)
		}
		if got := w.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", p, got)
		}
		if got := w.Header().Get("Content-Security-Policy"); got != CSP {
			t.Errorf("GET %s: CSP %q", p, got)
		}
	}
}

func TestCSPIsStrict(t *testing.T) {
	for _, want := range []string{"default-src 'self'", "script-src 'self';", "img-src 'self' data:",
		"style-src 'self' 'unsafe-inline'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"} {
		if !strings.Contains(CSP, want) {
			t.Errorf("CSP %q lacks %q", CSP, want)
		}
	}
	for _, d := range strings.Split(CSP, ";") {
		d = strings.TrimSpace(d)
		if strings.HasPrefix(d, "script-src") && d != "script-src 'self'" || strings.Contains(d, "unsafe-eval") {
			t.Errorf("CSP allows eval or inline script: %q", d)
		}
	}
}

func TestNeverAnswersServerPaths(t *testing.T) {
	a := testApp(t)
	for _, p := range []string{"/api", "/api/", "/api/v1/nope", "/api/v1/modules/x/y/z", "/scim/v2/Users",
		"/.well-known/openid-configuration", "/healthz", "/healthz/x", "/readyz", "/metrics", "/metrics/x",
		"/assets/missing-000.js", "/assets/", "/robots.txt", "/modules/x/image.png"} {
		w, ok := serve(a, http.MethodGet, p)
		if ok || w.Body.Len() != 0 || len(w.Header()) != 0 {
			t.Errorf("GET %s: served=%v status %d; the app must leave it to the API", p, ok, w.Code)
		}
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		if _, ok := serve(a, m, "/modules/x"); ok {
			t.Errorf("%s /modules/x was served; only GET and HEAD are the app's", m)
		}
	}
}

func TestHashedAssetsCacheForAYear(t *testing.T) {
	a := testApp(t)
	w, ok := serve(a, http.MethodGet, "/assets/index-abc123.js")
	if !ok || w.Code != 200 {
		t.Fatalf("asset not served: %v %d", ok, w.Code)
	}
	if got := w.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control %q", got)
	}
	if got := w.Header().Get("Content-Type"); got != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	if w.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client that did not ask for it")
	}
	w, _ = serve(a, http.MethodGet, "/favicon.svg")
	if got := w.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("unhashed file: Cache-Control %q, want no-cache", got)
	}
}

func TestGzipForTextAssets(t *testing.T) {
	a := testApp(t)
	w, _ := serve(a, http.MethodGet, "/assets/index-abc123.js", "Accept-Encoding", "br, gzip")
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("want gzip with Vary: Accept-Encoding, got %v", w.Header())
	}
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != strings.Repeat("console.log('upskill');\n", 100) {
		t.Error("gzip body does not decompress to the file")
	}
	if w.Body.Len() >= len(plain) {
		t.Errorf("compressed %d >= plain %d", w.Body.Len(), len(plain))
	}
	if w, _ := serve(a, http.MethodGet, "/assets/index-abc123.js", "Accept-Encoding", "gzip;q=0"); w.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent although refused with q=0")
	}
	if w, _ := serve(a, http.MethodGet, "/assets/logo-def456.png", "Accept-Encoding", "gzip"); w.Header().Get("Content-Encoding") != "" {
		t.Error("an image was gzipped")
	}
}

func TestConditionalAndHead(t *testing.T) {
	a := testApp(t)
	w, _ := serve(a, http.MethodGet, "/")
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if w, _ := serve(a, http.MethodGet, "/modules/x", "If-None-Match", etag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: status %d, want 304 and no body", w.Code)
	}
	w, ok := serve(a, http.MethodHead, "/")
	if !ok || w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "" && w.Header().Get("Content-Length") == "0" {
		t.Errorf("HEAD /: served=%v status %d body %d", ok, w.Code, w.Body.Len())
	}
}

func TestNeedsIndex(t *testing.T) {
	if _, err := New(fstest.MapFS{"assets/a.js": {Data: []byte("x")}}); err == nil {
		t.Fatal("an app without index.html was accepted")
	}
}

// The committed build must be servable: the binary embeds it.
func TestEmbeddedBuild(t *testing.T) {
	a, err := New(Dist())
	if err != nil {
		t.Fatal(err)
	}
	w, _ := serve(a, http.MethodGet, "/")
	if !strings.Contains(w.Body.String(), `<div id="app">`) {
		t.Errorf("embedded index.html has no app root: %s", w.Body.String())
	}
	for p, f := range a.files {
		if strings.HasPrefix(p, "/assets/") && f.cache != cacheHashed {
			t.Errorf("%s is not cached as hashed", p)
		}
	}
}

// The first view (index.html and the script and style it names) must
// transfer under 100 KB compressed.
func TestFirstViewUnder100KB(t *testing.T) {
	a, err := New(Dist())
	if err != nil {
		t.Fatal(err)
	}
	total := len(a.index.gz)
	if a.index.gz == nil {
		total = len(a.index.body)
	}
	page := string(a.index.body)
	for p, f := range a.files {
		if strings.HasPrefix(p, "/assets/") && strings.Contains(page, p) {
			n := len(f.gz)
			if f.gz == nil {
				n = len(f.body)
			}
			total += n
		}
	}
	t.Logf("first view: %d bytes gzipped", total)
	if total > 100*1024 {
		t.Errorf("first view transfers %d bytes gzipped, over the 100 KB budget", total)
	}
}
