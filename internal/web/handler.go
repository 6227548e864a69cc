package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// CSP is the Content Security Policy of every page and asset: scripts and
// everything else only from this origin, no inline script and no eval, so
// even a sanitiser bug in lesson HTML cannot run script. Inline styles are
// allowed because Svelte's transitions and style: directives set them.
const CSP = "default-src 'self'; script-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// Cache lifetimes: hashed names change with their content, so they keep
// for a year; index.html and unhashed files are revalidated every time.
const (
	cacheHashed     = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// reserved are the server's own path spaces. The app never answers them,
// so an unknown API route keeps its problem+json 404.
var reservedPrefixes = []string{"/api/", "/scim/", "/.well-known/"}
var reservedExact = []string{"/api", "/scim", "/.well-known", "/healthz", "/readyz", "/metrics"}

// App serves the built files with an SPA fallback: any other GET path
// without a file extension gets index.html, and the client router takes it
// from there.
type App struct {
	files map[string]*file // by URL path, "/index.html", "/assets/x-1a2b.js"
	index *file
}

type file struct {
	body, gz    []byte
	contentType string
	etag        string
	cache       string
}

// New reads every file of fsys into memory once, with a gzip copy of the
// text files that compress, so serving is a map look-up. fsys must hold
// index.html.
func New(fsys fs.FS) (*App, error) {
	a := &App{files: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		f, err := newFile(p, body)
		if err != nil {
			return err
		}
		a.files["/"+p] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web app files: %w", err)
	}
	if a.index = a.files["/index.html"]; a.index == nil {
		return nil, fmt.Errorf("web app files: no index.html (run npm run build in internal/web/ui)")
	}
	return a, nil
}

// compressible are the media types worth gzipping; images and fonts are
// compressed already.
var compressible = map[string]bool{".html": true, ".js": true, ".css": true, ".svg": true,
	".json": true, ".txt": true, ".map": true, ".webmanifest": true}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".json": "application/json",
	".txt": "text/plain; charset=utf-8", ".map": "application/json", ".ico": "image/x-icon",
	".png": "image/png", ".webmanifest": "application/manifest+json", ".woff2": "font/woff2",
}

func newFile(p string, body []byte) (*file, error) {
	ext := path.Ext(p)
	ct := contentTypes[ext]
	if ct == "" {
		if ct = mime.TypeByExtension(ext); ct == "" {
			ct = "application/octet-stream"
		}
	}
	sum := sha256.Sum256(body)
	f := &file{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, cache: cacheRevalidate}
	if strings.HasPrefix(p, "assets/") {
		f.cache = cacheHashed
	}
	if compressible[ext] && len(body) > 256 {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(body); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		if buf.Len() < len(body) {
			f.gz = buf.Bytes()
		}
	}
	return f, nil
}

// Reserved reports whether p belongs to the server rather than the app.
func Reserved(p string) bool {
	for _, r := range reservedExact {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	for _, r := range reservedPrefixes {
		if strings.HasPrefix(p, r) {
			return true
		}
	}
	return false
}

// Serve answers r when it is the app's: a GET or HEAD for one of its files,
// or for a client route (a path outside the reserved spaces whose last
// segment has no extension). It returns false, having written nothing,
// for everything else, so the caller can answer with its own 404 or 405.
func (a *App) Serve(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	if Reserved(p) {
		return false
	}
	f := a.files[p]
	if f == nil || p == "/index.html" {
		if p != "/" && p != "/index.html" && (path.Ext(p) != "" || strings.HasPrefix(p, "/assets/")) {
			return false // a missing file, not a page
		}
		f = a.index
	}
	a.write(w, r, f)
	return true
}

func (a *App) write(w http.ResponseWriter, r *http.Request, f *file) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("Cache-Control", f.cache)
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if f.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = f.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", f.contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func etagMatches(header, etag string) bool {
	for _, m := range strings.Split(header, ",") {
		m = strings.TrimSpace(m)
		if m == "*" || strings.TrimPrefix(m, "W/") == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding, honouring an explicit q=0 refusal.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.TrimSpace(name) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
