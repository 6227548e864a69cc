package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// opUser is a person at the test OpenID Provider (mockoidc, a real OP
// serving discovery, JWKS, the authorization and token endpoints with
// PKCE). The override fields forge what a broken or hostile provider
// would send.
type opUser struct {
	sub, email, name, dept string
	verified               *bool  // nil: no email_verified claim
	issuer, nonce          string // overrides of the iss and nonce claims
}

func (u *opUser) ID() string { return u.sub }

func (u *opUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.sub, "email": u.email})
}

func (u *opUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c := jwt.MapClaims{"iss": base.Issuer, "sub": base.Subject, "aud": base.Audience, "exp": base.ExpiresAt.Unix(),
		"iat": base.IssuedAt.Unix(), "nbf": base.NotBefore.Unix(), "jti": base.ID, "nonce": base.Nonce}
	if u.email != "" {
		c["email"] = u.email
	}
	if u.verified != nil {
		c["email_verified"] = *u.verified
	}
	if u.name != "" {
		c["name"] = u.name
	}
	if u.dept != "" {
		c["department"] = u.dept
	}
	if u.issuer != "" {
		c["iss"] = u.issuer
	}
	if u.nonce != "" {
		c["nonce"] = u.nonce
	}
	return c, nil
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// ssoRig is upskill behind a real listener, configured against a running
// OpenID Provider, and a browser that keeps cookies and stops at every
// redirect so each leg can be checked (and tampered with).
type ssoRig struct {
	t   *testing.T
	e   *testEnv
	op  *mockoidc.MockOIDC
	url string
}

func newSSORig(t *testing.T, db *store.DB, tune func(*OIDCOptions)) *ssoRig {
	t.Helper()
	op, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = op.Shutdown() })
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	opt := OIDCOptions{Issuer: op.Issuer(), ClientID: op.ClientID, ClientSecret: op.ClientSecret, Name: "Company account",
		DepartmentClaim: "department", EmailDomains: []string{"example.com"}}
	if tune != nil {
		tune(&opt)
	}
	e := newTestEnvOpts(t, db, nil, Options{BaseURL: srv.URL, OIDC: opt})
	h = e.srv.Handler()
	return &ssoRig{t: t, e: e, op: op, url: srv.URL}
}

// browser keeps cookies, follows nothing by itself, and holds every
// upskill answer against the contract.
type browser struct {
	t      *testing.T
	client *http.Client
	rig    *ssoRig
}

func (r *ssoRig) browser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: r.t, rig: r}
	b.client = &http.Client{Jar: jar, Transport: contractTransport{t: r.t, host: strings.TrimPrefix(r.url, "http://")},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

type contractTransport struct {
	t    *testing.T
	host string
}

func (c contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || req.URL.Host != c.host {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	apitest.LoadContract(c.t).CheckResponse(c.t, req, res.StatusCode, res.Header, body)
	return res, nil
}

type answer struct {
	status   int
	location string
	cookies  []*http.Cookie
	body     string
}

func (b *browser) do(method, target string, body string) answer {
	b.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, target, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, location: res.Header.Get("Location"), cookies: res.Cookies(), body: string(raw)}
}

func (b *browser) get(target string) answer { b.t.Helper(); return b.do(http.MethodGet, target, "") }

// start opens the sign-in and goes through the provider, which signs in
// u; it returns upskill's first answer and the callback URL the provider
// sends the browser to.
func (b *browser) start(u *opUser, redirect string) (login answer, callback string) {
	b.t.Helper()
	login = b.get(b.rig.url + "/api/v1/auth/oidc/login?redirect=" + url.QueryEscape(redirect))
	if login.status != http.StatusFound {
		b.t.Fatalf("login = %d %s", login.status, login.body)
	}
	b.rig.op.QueueUser(u)
	at := b.get(login.location)
	if at.status != http.StatusFound {
		b.t.Fatalf("provider = %d %s", at.status, at.body)
	}
	return login, at.location
}

// signIn goes the whole way and returns upskill's answer to the callback.
func (b *browser) signIn(u *opUser, redirect string) answer {
	b.t.Helper()
	_, cb := b.start(u, redirect)
	return b.get(cb)
}

// me spends the refresh cookie and returns the signed-in person.
func (b *browser) me() map[string]any {
	b.t.Helper()
	a := b.do(http.MethodPost, b.rig.url+"/api/v1/auth/refresh", "{}")
	if a.status != http.StatusOK {
		b.t.Fatalf("refresh with the cookie = %d %s", a.status, a.body)
	}
	var s struct {
		User map[string]any `json:"user"`
	}
	if err := json.Unmarshal([]byte(a.body), &s); err != nil {
		b.t.Fatal(err)
	}
	return s.User
}

func cookieNamed(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func withQuery(raw string, set map[string]string) string {
	u, _ := url.Parse(raw)
	q := u.Query()
	for k, v := range set {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func auditCount(t *testing.T, db *store.DB, action, detail string) int {
	t.Helper()
	var n int64
	q := db.R.Table("audit_events").Where("action = ?", action)
	if detail != "" {
		q = q.Where("details LIKE ?", "%"+detail+"%")
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// A first sign-in through the provider creates a learner with the
// department claim, lands on the path it started from with a browser
// session, and fires the department's standing assignment rule; the
// login state cookie has the attributes DECISIONS.md sets and is gone
// after the callback; the next sign-in finds the same person by (iss, sub)
// even under a new email.
func TestOIDCFirstSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newSSORig(t, db, nil)
		var prov map[string]any
		r.e.c.Get("/api/v1/auth/providers").Want(t, http.StatusOK).Decode(t, &prov)
		if oidc, _ := prov["oidc"].(map[string]any); oidc["name"] != "Company account" || oidc["login_url"] != "/api/v1/auth/oidc/login" || prov["password"] != true {
			t.Fatalf("providers = %v", prov)
		}
		publishCourse(t, r.e, "ai-basics", "AI basics")
		hrC, _ := r.e.as(identity.RoleHR)
		hrC.Post("/api/v1/assignments", map[string]any{"module": "ai-basics", "departments": []string{"Field Sales"},
			"include_new_members": true, "due_in_days": 14}).Want(t, http.StatusCreated)

		b := r.browser()
		ann := &opUser{sub: "ann-123", email: "Ann.Lee@example.com", verified: yes(), name: "Ann Lee", dept: "field sales"}
		login, cb := b.start(ann, "/modules/ai-basics?tab=1")
		st := cookieNamed(login.cookies, oidcStateCookie)
		if st == nil || !st.HttpOnly || st.SameSite != http.SameSiteLaxMode || st.Path != "/api/v1/auth/oidc" || st.MaxAge != 600 {
			t.Fatalf("state cookie = %+v", st)
		}
		authz, _ := url.Parse(login.location)
		q := authz.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" ||
			q.Get("redirect_uri") != r.url+"/api/v1/auth/oidc/callback" {
			t.Fatalf("authorization request = %v", q)
		}
		done := b.get(cb)
		if done.status != http.StatusFound || done.location != "/modules/ai-basics?tab=1" {
			t.Fatalf("callback = %d %q %s", done.status, done.location, done.body)
		}
		if c := cookieNamed(done.cookies, oidcStateCookie); c == nil || c.MaxAge >= 0 {
			t.Fatalf("state cookie not deleted at the callback: %+v", c)
		}
		if c := cookieNamed(done.cookies, refreshCookie); c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Fatalf("no browser session cookie: %+v", done.cookies)
		}
		me := b.me()
		if me["email"] != "ann.lee@example.com" || me["name"] != "Ann Lee" || me["department"] != "Field Sales" ||
			me["roles"].([]any)[0] != "learner" {
			t.Fatalf("created = %v", me)
		}
		if got := listAssignments(t, hrC, "?department=Field%20Sales"); len(got) != 1 || got[0].UserID != me["id"] {
			t.Fatalf("standing rule did not fire: %v", got)
		}
		if auditCount(t, db, identity.ActionSSOLogin, "ann-123") != 1 {
			t.Fatal("sign-in not audited with the subject")
		}

		again := r.browser()
		renamed := &opUser{sub: "ann-123", email: "ann.smith@example.com", verified: yes(), name: "Ann Smith", dept: "Legal"}
		if a := again.signIn(renamed, "/"); a.status != http.StatusFound || a.location != "/" {
			t.Fatalf("second sign-in = %d %s", a.status, a.body)
		}
		if me2 := again.me(); me2["id"] != me["id"] || me2["department"] != "Field Sales" {
			t.Fatalf("second sign-in is %v, want the same person, department unchanged", me2)
		}
	})
}

// Every refusal the issue lists, each through the real redirects.
func TestOIDCRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newSSORig(t, db, nil)
		refused := func(t *testing.T, a answer, status int, why string, mention string) {
			t.Helper()
			if a.status != status || !strings.Contains(a.body, mention) {
				t.Fatalf("%s: got %d %s, want %d mentioning %q", why, a.status, a.body, status, mention)
			}
			if cookieNamed(a.cookies, refreshCookie) != nil {
				t.Fatalf("%s: a session cookie was set", why)
			}
		}
		person := func(sub string) *opUser {
			return &opUser{sub: sub, email: sub + "@example.com", verified: yes(), name: "P " + sub}
		}

		t.Run("wrong state", func(t *testing.T) {
			b := r.browser()
			_, cb := b.start(person("state"), "/")
			refused(t, b.get(withQuery(cb, map[string]string{"state": "forged"})), http.StatusBadRequest, "wrong state", "state")
		})
		t.Run("no state cookie", func(t *testing.T) {
			_, cb := r.browser().start(person("nocookie"), "/")
			refused(t, r.browser().get(cb), http.StatusBadRequest, "another browser's callback", "state")
		})
		t.Run("replayed code", func(t *testing.T) {
			b := r.browser()
			_, first := b.start(person("replay"), "/")
			if a := b.get(first); a.status != http.StatusFound {
				t.Fatalf("first use = %d %s", a.status, a.body)
			}
			old, _ := url.Parse(first)
			_, second := b.start(person("replay"), "/")
			replay := withQuery(second, map[string]string{"code": old.Query().Get("code")})
			refused(t, b.get(replay), http.StatusUnauthorized, "replayed code", "code")
		})
		t.Run("wrong nonce", func(t *testing.T) {
			u := person("nonce")
			u.nonce = "not-the-one-we-sent"
			refused(t, r.browser().signIn(u, "/"), http.StatusUnauthorized, "wrong nonce", "nonce")
		})
		t.Run("unverified email", func(t *testing.T) {
			u := person("unverified")
			u.verified = no()
			refused(t, r.browser().signIn(u, "/"), http.StatusUnauthorized, "unverified email", "not verified")
			u.verified = nil // a missing claim counts as false without UPSKILL_OIDC_TRUST_EMAIL
			refused(t, r.browser().signIn(u, "/"), http.StatusUnauthorized, "email_verified missing", "not verified")
		})
		t.Run("foreign issuer", func(t *testing.T) {
			u := person("foreign")
			u.issuer = "https://login.evil.example/"
			refused(t, r.browser().signIn(u, "/"), http.StatusUnauthorized, "foreign issuer", "different provider")
		})
		t.Run("expired ID token", func(t *testing.T) {
			b := r.browser()
			_, cb := b.start(person("expired"), "/")
			r.op.FastForward(-2 * time.Hour) // the provider signs the token as of two hours ago
			defer r.op.FastForward(2 * time.Hour)
			refused(t, b.get(cb), http.StatusUnauthorized, "expired ID token", "expired")
		})
		t.Run("open redirect", func(t *testing.T) {
			b := r.browser()
			for _, target := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "evil.example", "javascript:alert(1)"} {
				a := b.get(r.url + "/api/v1/auth/oidc/login?redirect=" + url.QueryEscape(target))
				if a.status != http.StatusBadRequest || cookieNamed(a.cookies, oidcStateCookie) != nil {
					t.Fatalf("redirect=%s: %d %s", target, a.status, a.body)
				}
			}
		})
		t.Run("disabled person", func(t *testing.T) {
			b := r.browser()
			u := person("leaver")
			if a := b.signIn(u, "/"); a.status != http.StatusFound {
				t.Fatalf("first = %d %s", a.status, a.body)
			}
			id := b.me()["id"].(string)
			adminC, _ := r.e.as(identity.RoleAdmin)
			adminC.Patch("/api/v1/users/"+id, map[string]any{"disabled": true}).Want(t, http.StatusOK)
			refused(t, r.browser().signIn(u, "/"), http.StatusForbidden, "disabled person", "disabled")
		})
		t.Run("linking by email", func(t *testing.T) {
			learner := r.e.user() // learnerN@example.com, a listed domain
			b := r.browser()
			if a := b.signIn(&opUser{sub: "link-1", email: learner.Email, verified: yes()}, "/"); a.status != http.StatusFound {
				t.Fatalf("link = %d %s", a.status, a.body)
			}
			if got := b.me(); got["id"] != learner.ID {
				t.Fatalf("linked to %v, want %s", got["id"], learner.ID)
			}
			admin := r.e.user(identity.RoleAdmin)
			refused(t, r.browser().signIn(&opUser{sub: "link-2", email: admin.Email, verified: yes()}, "/"), http.StatusForbidden, "an admin linked by email", "admin")
		})
		t.Run("email outside the listed domains", func(t *testing.T) {
			adminC, _ := r.e.as(identity.RoleAdmin)
			adminC.Post("/api/v1/users", map[string]any{"email": "bo@partner.org", "name": "Bo"}).Want(t, http.StatusCreated)
			refused(t, r.browser().signIn(&opUser{sub: "bo", email: "bo@partner.org", verified: yes()}, "/"), http.StatusForbidden, "unlisted domain", "UPSKILL_OIDC_EMAIL_DOMAINS")
		})
		if n := auditCount(t, db, identity.ActionSSORefused, "foreign"); n != 0 {
			// the foreign token never verified, so no subject is known
			t.Fatalf("refusal of an unverified token audited with its subject: %d", n)
		}
		if auditCount(t, db, identity.ActionSSORefused, "leaver") != 1 || auditCount(t, db, identity.ActionSSORefused, "unverified") != 2 {
			t.Fatal("refusals not audited with the provider's subject")
		}
	})
}

// Entra ID omits email_verified: UPSKILL_OIDC_TRUST_EMAIL says the
// issuer's emails are verified.
func TestOIDCTrustEmail(t *testing.T) {
	r := newSSORig(t, storetest.SQLite(t), func(o *OIDCOptions) { o.TrustEmail = true })
	b := r.browser()
	if a := b.signIn(&opUser{sub: "entra", email: "e@example.com"}, "/"); a.status != http.StatusFound {
		t.Fatalf("sign-in = %d %s", a.status, a.body)
	}
	if me := b.me(); me["email"] != "e@example.com" || me["department"] != "" {
		t.Fatalf("me = %v", me)
	}
}

// UPSKILL_PASSWORD_LOGIN=false: only the break-glass admin signs in with
// a password; invitations and resets are refused to everyone else, and
// the sign-in page is told to offer single sign-on only.
func TestPasswordLoginOff(t *testing.T) {
	r := newSSORig(t, storetest.SQLite(t), nil)
	e := r.e
	glass := e.user(identity.RoleAdmin)
	other := e.user(identity.RoleAdmin)
	learner := e.user()
	e.ids.Passwords = identity.PasswordPolicy{Off: true, BreakGlass: glass.Email}

	var prov map[string]any
	e.c.Get("/api/v1/auth/providers").Want(t, http.StatusOK).Decode(t, &prov)
	if prov["password"] != false || prov["oidc"] == nil {
		t.Fatalf("providers = %v", prov)
	}
	e.login(glass.Email, e.password)
	for _, u := range []identity.User{other, learner} {
		res := e.c.Post("/api/v1/auth/login", map[string]string{"email": u.Email, "password": e.password}).Want(t, http.StatusForbidden)
		if !strings.Contains(string(res.Body), "single sign-on") {
			t.Fatalf("refusal = %s", res.Body)
		}
	}
	adminC := e.c.As(e.token(glass))
	adminC.Post("/api/v1/users/"+learner.ID+"/invite", nil).Want(t, http.StatusConflict)
	adminC.Post("/api/v1/users/"+glass.ID+"/invite", nil).Want(t, http.StatusAccepted)
	e.ids.Mail = identity.MailHooks{Enabled: true, BaseURL: r.url} // resets are queued, not sent, here
	e.c.Post("/api/v1/auth/forgot-password", map[string]string{"email": learner.Email}).Want(t, http.StatusAccepted)
	if auditCount(t, e.db, "auth.password_reset_requested", `"sent":true`) != 0 {
		t.Fatal("a reset was queued for someone who may not use a password")
	}
	e.c.Post("/api/v1/auth/forgot-password", map[string]string{"email": glass.Email}).Want(t, http.StatusAccepted)
	if auditCount(t, e.db, "auth.password_reset_requested", `"sent":true`) != 1 {
		t.Fatal("the break-glass admin's reset was not queued")
	}
	// Single sign-on still works for everyone else.
	b := r.browser()
	if a := b.signIn(&opUser{sub: "sso-only", email: learner.Email, verified: yes()}, "/"); a.status != http.StatusFound {
		t.Fatalf("sign-in = %d %s", a.status, a.body)
	}
}
