package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/apitest"
)

// refreshCookieOf returns the upskill_refresh cookie a response sets.
func refreshCookieOf(t *testing.T, res *apitest.Response) *http.Cookie {
	t.Helper()
	for _, ck := range (&http.Response{Header: res.Header}).Cookies() {
		if ck.Name == "upskill_refresh" {
			return ck
		}
	}
	t.Fatalf("no upskill_refresh cookie set; headers %v", res.Header)
	return nil
}

func withCookie(v string) apitest.Option { return apitest.Header("Cookie", "upskill_refresh="+v) }

func TestBrowserSessionByCookie(t *testing.T) {
	e := newTestEnv(t)
	u := e.user()
	res := e.c.Post("/api/v1/auth/login", map[string]string{"email": u.Email, "password": e.password, "session": "cookie"}).Want(t, 200)
	body := res.Map(t)
	if _, ok := body["refresh_token"]; ok {
		t.Error("a cookie session's refresh token is in the body")
	}
	if body["access_token"] == "" {
		t.Error("no access token")
	}
	ck := refreshCookieOf(t, res)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/api/v1/auth" || ck.Secure ||
		ck.MaxAge != int((30*24*time.Hour)/time.Second) || ck.Value == "" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/api/v1/auth, not Secure on http, Max-Age 30 days", ck)
	}

	// Refresh with {} and the cookie: a new access token, the cookie rotated.
	res = e.c.Post("/api/v1/auth/refresh", map[string]any{}, withCookie(ck.Value)).Want(t, 200)
	if _, ok := res.Map(t)["refresh_token"]; ok {
		t.Error("refresh put the refresh token in the body")
	}
	next := refreshCookieOf(t, res)
	if next.Value == ck.Value || next.MaxAge <= 0 || !next.HttpOnly {
		t.Errorf("cookie not rotated: %+v", next)
	}
	me := e.c.As(res.Map(t)["access_token"].(string)).Get("/api/v1/me").Want(t, 200).Map(t)
	if me["id"] != u.ID {
		t.Errorf("refreshed token is for %v", me["id"])
	}

	// A cross-site form cannot send JSON: the cookie alone does nothing.
	e.c.Post("/api/v1/auth/refresh", "", withCookie(next.Value), apitest.Header("Content-Type", "application/x-www-form-urlencoded")).Want(t, 415)
	e.c.Post("/api/v1/auth/refresh", "", withCookie(next.Value), apitest.Header("Content-Type", "text/plain")).Want(t, 415)

	// Logout with the cookie ends the session and clears the cookie.
	res = e.c.Post("/api/v1/auth/logout", map[string]any{}, withCookie(next.Value)).Want(t, 204)
	if cleared := refreshCookieOf(t, res); cleared.MaxAge >= 0 || cleared.Value != "" {
		t.Errorf("logout did not clear the cookie: %+v", cleared)
	}
	res = e.c.Post("/api/v1/auth/refresh", map[string]any{}, withCookie(next.Value)).Want(t, 401)
	if cleared := refreshCookieOf(t, res); cleared.MaxAge >= 0 {
		t.Errorf("a refused cookie is not cleared: %+v", cleared)
	}
}

// A spent cookie presented again after the reuse grace revokes the login,
// as a body token does.
func TestBrowserSessionCookieReuse(t *testing.T) {
	e := newTestEnv(t)
	u := e.user()
	first := refreshCookieOf(t, e.c.Post("/api/v1/auth/login", map[string]string{"email": u.Email, "password": e.password, "session": "cookie"}).Want(t, 200))
	second := refreshCookieOf(t, e.c.Post("/api/v1/auth/refresh", map[string]any{}, withCookie(first.Value)).Want(t, 200))
	e.clock.Advance(time.Minute)
	e.c.Post("/api/v1/auth/refresh", map[string]any{}, withCookie(first.Value)).Want(t, 401)
	e.c.Post("/api/v1/auth/refresh", map[string]any{}, withCookie(second.Value)).Want(t, 401)
}

func TestBrowserSessionWithoutCookie(t *testing.T) {
	e := newTestEnv(t)
	e.c.Post("/api/v1/auth/refresh", map[string]any{}).Want(t, 401)
	e.c.Post("/api/v1/auth/logout", map[string]any{}).Want(t, 204)
}

// Token sessions are unchanged: no cookie, the refresh token in the body.
func TestTokenSessionSetsNoCookie(t *testing.T) {
	e := newTestEnv(t)
	u := e.user()
	res := e.c.Post("/api/v1/auth/login", map[string]string{"email": u.Email, "password": e.password}).Want(t, 200)
	if res.Header.Get("Set-Cookie") != "" {
		t.Errorf("a token sign-in set a cookie: %s", res.Header.Get("Set-Cookie"))
	}
	if res.Map(t)["refresh_token"] == "" {
		t.Error("no refresh token in the body")
	}
}

func TestLoginRejectsUnknownSessionMode(t *testing.T) {
	e := newTestEnv(t)
	u := e.user()
	p := e.c.Post("/api/v1/auth/login", map[string]string{"email": u.Email, "password": e.password, "session": "jar"}).Want(t, 422).Map(t)
	errs, _ := p["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["field"] != "session" {
		t.Errorf("want a field error on session, got %v", p)
	}
}

func TestRefreshCookieSecureOnHTTPS(t *testing.T) {
	s := &Server{opt: Options{BaseURL: "https://upskill.example.com", RefreshTTL: time.Hour}}
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	s.setRefreshCookie(c, "tok", s.refreshTTL())
	ck := (&http.Response{Header: w.Header()}).Cookies()[0]
	if !ck.Secure || ck.MaxAge != 3600 || ck.SameSite != http.SameSiteStrictMode || !ck.HttpOnly {
		t.Errorf("cookie %+v: want Secure, Max-Age=3600, SameSite=Strict, HttpOnly", ck)
	}
}

func TestAuthProviders(t *testing.T) {
	e := newTestEnv(t)
	got := e.c.Get("/api/v1/auth/providers").Want(t, 200).Map(t)
	if got["password"] != true || got["oidc"] != nil {
		t.Errorf("providers = %v", got)
	}
}
