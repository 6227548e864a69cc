package httpapi

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// forge builds a compact JWS by hand, so tests can make tokens no library
// would sign.
func forge(header, claims map[string]any, sign func(input []byte) []byte) string {
	input := b64(header) + "." + b64(claims)
	sig := ""
	if sign != nil {
		sig = base64.RawURLEncoding.EncodeToString(sign([]byte(input)))
	}
	return input + "." + sig
}

func TestForgedAndInvalidTokensAnswer401(t *testing.T) {
	e := newTestEnv(t)
	u := e.user(identity.RoleAdmin)
	kid := keys.Thumbprint(e.jwtKey.Public().(ed25519.PublicKey))
	now := e.clock.Now()
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"sub": u.ID, "iss": testBaseURL, "aud": []string{identity.Audience},
			"exp": now.Add(10 * time.Minute).Unix(), "iat": now.Unix(), "nbf": now.Unix(),
			"jti": "j1", "roles": []string{"admin"}}
		if mod != nil {
			mod(c)
		}
		return c
	}
	hdr := map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": kid}
	ed := func(k ed25519.PrivateKey) func([]byte) []byte {
		return func(in []byte) []byte { return ed25519.Sign(k, in) }
	}
	hs := func(secret []byte) func([]byte) []byte {
		return func(in []byte) []byte { m := hmac.New(sha256.New, secret); m.Write(in); return m.Sum(nil) }
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	pub := e.jwtKey.Public().(ed25519.PublicKey)
	good := forge(hdr, claims(nil), ed(e.jwtKey))
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + b64(claims(func(c map[string]any) { c["sub"] = "someone-else" })) + "." + parts[2]

	disabled := e.user()
	disabledTok := e.token(disabled)
	cases := map[string]string{
		"alg none":                  forge(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}, claims(nil), nil),
		"HS256 with the public key": forge(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": kid}, claims(nil), hs(pub)),
		"HS256 with empty secret":   forge(map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": kid}, claims(nil), hs(nil)),
		"tampered payload":          tampered,
		"other key, same kid":       forge(hdr, claims(nil), ed(otherKey)),
		"expired":                   forge(hdr, claims(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }), ed(e.jwtKey)),
		"not yet valid":             forge(hdr, claims(func(c map[string]any) { c["nbf"] = now.Add(5 * time.Minute).Unix() }), ed(e.jwtKey)),
		"wrong iss":                 forge(hdr, claims(func(c map[string]any) { c["iss"] = "https://evil.example" }), ed(e.jwtKey)),
		"wrong aud":                 forge(hdr, claims(func(c map[string]any) { c["aud"] = []string{"other-api"} }), ed(e.jwtKey)),
		"no exp":                    forge(hdr, claims(func(c map[string]any) { delete(c, "exp") }), ed(e.jwtKey)),
		"garbage":                   "not.a.token",
		"disabled user":             disabledTok,
	}
	// The honest control token must work, or the cases prove nothing.
	e.c.As(good).Get("/api/v1/me").Want(t, 200)
	e.c.As(disabledTok).Get("/api/v1/me").Want(t, 200)
	admin := e.c.As(e.token(u))
	admin.Patch("/api/v1/users/"+disabled.ID, map[string]any{"disabled": true}).Want(t, 200)
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			res := e.c.As(tok).Get("/api/v1/me").Want(t, http.StatusUnauthorized)
			if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
			}
		})
	}
	res := e.c.Get("/api/v1/me").Want(t, http.StatusUnauthorized)
	if res.Header.Get("WWW-Authenticate") == "" {
		t.Fatal("no WWW-Authenticate without a token")
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		u := e.user()
		s1 := e.login(u.Email, e.password)
		e.c.As(s1["access_token"].(string)).Get("/api/v1/me").Want(t, 200)

		r1 := s1["refresh_token"].(string)
		s2 := e.c.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": r1}).Want(t, 200).Map(t)
		r2 := s2["refresh_token"].(string)
		if r2 == r1 {
			t.Fatal("refresh did not rotate the token")
		}
		if s2["expires_in"] != 900.0 {
			t.Errorf("expires_in = %v, want 900", s2["expires_in"])
		}
		access2 := e.c.As(s2["access_token"].(string))
		access2.Get("/api/v1/me").Want(t, 200)
		// Reusing the spent token after the grace is refused and kills the
		// family, newest included, and the access tokens of that login
		// with it.
		e.clock.Advance(11 * time.Second)
		e.c.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": r1}).Want(t, 401)
		e.c.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": r2}).Want(t, 401)
		access2.Get("/api/v1/me").Want(t, 401)
		if n := countAudit(t, e, "auth.refresh_token_reused"); n != 1 {
			t.Fatalf("reuse audit events = %d, want 1", n)
		}

		// Logout revokes.
		s3 := e.login(u.Email, e.password)
		access3 := e.c.As(s3["access_token"].(string))
		access3.Get("/api/v1/me").Want(t, 200)
		e.c.Post("/api/v1/auth/logout", map[string]string{"refresh_token": s3["refresh_token"].(string)}).Want(t, 204)
		e.c.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": s3["refresh_token"].(string)}).Want(t, 401)
		access3.Get("/api/v1/me").Want(t, 401)
		e.c.Post("/api/v1/auth/logout", map[string]string{"refresh_token": "unknown"}).Want(t, 204)

		// A password change keeps this session and revokes the others.
		mine := e.login(u.Email, e.password)
		other := e.login(u.Email, e.password)
		newPw := "a much longer passphrase 42"
		me := e.c.As(mine["access_token"].(string))
		me.Put("/api/v1/me/password", map[string]string{"current_password": "wrong one entirely", "new_password": newPw}).Want(t, 422)
		me.Put("/api/v1/me/password", map[string]string{"current_password": e.password, "new_password": "password1234"}).Want(t, 422)
		me.Put("/api/v1/me/password", map[string]string{"current_password": e.password, "new_password": newPw}).Want(t, 204)
		e.c.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": other["refresh_token"].(string)}).Want(t, 401)
		e.c.As(other["access_token"].(string)).Get("/api/v1/me").Want(t, 401)
		me.Get("/api/v1/me").Want(t, 200)
		e.c.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": mine["refresh_token"].(string)}).Want(t, 200)
		e.c.Post("/api/v1/auth/login", map[string]string{"email": u.Email, "password": e.password}).Want(t, 401)
		e.login(u.Email, newPw)
	})
}

// Two refreshes racing with one token: at most one wins.
func TestConcurrentRefreshSpendsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		u := e.user()
		r := e.login(u.Email, e.password)["refresh_token"].(string)
		var wg sync.WaitGroup
		codes := make([]int, 8)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sess, err := e.ids.Refresh(context.Background(), r)
				if err == nil && sess.RefreshToken != "" {
					codes[i] = 200
				}
			}()
		}
		wg.Wait()
		// One rotation, and at most one sibling within the grace.
		if n := len(codes) - len(slices.DeleteFunc(slices.Clone(codes), func(c int) bool { return c == 200 })); n < 1 || n > 2 {
			t.Fatalf("successful refreshes: %v, want one or two", codes)
		}
	})
}

func TestLoginMessagesAndThrottle(t *testing.T) {
	e := newTestEnv(t)
	u := e.user()
	wrong := e.c.Post("/api/v1/auth/login", map[string]string{"email": u.Email, "password": "not the password"}).Want(t, 401).Map(t)
	unknown := e.c.Post("/api/v1/auth/login", map[string]string{"email": "nobody@example.com", "password": "not the password"}).Want(t, 401).Map(t)
	if wrong["detail"] != unknown["detail"] || wrong["type"] != unknown["type"] {
		t.Fatalf("unknown email answers %v, wrong password %v", unknown, wrong)
	}
	// Case and spaces in the email do not matter.
	e.login("  "+strings.ToUpper(u.Email)+" ", e.password)
	// The successful sign-in reset the count: five more failures lock.
	for range 5 {
		e.c.Post("/api/v1/auth/login", map[string]string{"email": u.Email, "password": "not the password"}).Want(t, 401)
	}
	res := e.c.Post("/api/v1/auth/login", map[string]string{"email": u.Email, "password": e.password}).Want(t, 429)
	if ra := res.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After = %q", ra)
	}
	e.clock.Advance(16 * time.Minute)
	e.login(u.Email, e.password)
	if n := countAudit(t, e, "auth.login_failed"); n != 7 {
		t.Fatalf("failed-login audit events = %d, want 7", n)
	}
}

func TestLoginValidation(t *testing.T) {
	e := newTestEnv(t)
	e.c.Post("/api/v1/auth/login", map[string]string{"email": "a@b.c"}).Want(t, 422)
	e.c.Post("/api/v1/auth/login", `{"email":"a@b.c","password":"x","remember":true}`).Want(t, 400)
	e.c.Post("/api/v1/auth/login", `{"email":5,"password":"x"}`).Want(t, 400)
}

func countAudit(t *testing.T, e *testEnv, action string) int64 {
	t.Helper()
	var n int64
	if err := e.db.R.Table("audit_events").Where("action = ?", action).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

var paramRE = regexp.MustCompile(`\{[^}]+\}`)

// Every route of the table, called with no token and with each role,
// answers as its access rule says. A new route is covered automatically.
func TestRouteRoleMatrix(t *testing.T) {
	e := newTestEnv(t)
	tokens := map[string]string{}
	for _, role := range identity.AllRoles {
		tokens[role] = e.token(e.user(role))
	}
	for _, r := range e.srv.Routes() {
		path := paramRE.ReplaceAllString(r.Path, "x-missing")
		for _, who := range append([]string{""}, identity.AllRoles...) {
			t.Run(r.Method+" "+r.Path+" as "+who, func(t *testing.T) {
				c := e.c
				if who != "" {
					c = c.As(tokens[who])
				}
				var body any
				if r.Method != http.MethodGet && r.Method != http.MethodDelete {
					body = map[string]any{}
				}
				got := c.Do(r.Method, path, body).Status
				allowed := r.Access.Public || (who != "" && (len(r.Access.Roles) == 0 || slices.Contains(r.Access.Roles, who)))
				switch {
				case r.Access.SCIM && got != 401:
					// SCIM takes a provisioning token, never an access token.
					t.Fatalf("SCIM route got %d, want 401", got)
				case r.Access.SCIM:
				case r.Access.Public && got == 403:
					t.Fatalf("public route got 403")
				case !r.Access.Public && allowed && (got == 401 || got == 403):
					t.Fatalf("allowed caller got %d", got)
				case !allowed && who == "" && got != 401:
					t.Fatalf("anonymous caller got %d, want 401", got)
				case !allowed && who != "" && got != 403:
					t.Fatalf("%s got %d, want 403", who, got)
				}
			})
		}
	}
}

func TestPeopleAPI(t *testing.T) {
	e := newTestEnv(t)
	hrC, hrUser := e.as(identity.RoleHR)
	adminC, _ := e.as(identity.RoleAdmin)

	created := hrC.Post("/api/v1/users", map[string]any{"email": "Ada.Lovelace@Example.com", "name": "Ada Lovelace",
		"department": "Brand", "employee_id": "A-1"}).Want(t, 201).Map(t)
	if created["email"] != "ada.lovelace@example.com" || fmt.Sprint(created["roles"]) != "[learner]" {
		t.Fatalf("created = %v", created)
	}
	id := created["id"].(string)
	hrC.Post("/api/v1/users", map[string]any{"email": "ada.lovelace@example.com", "name": "Dup"}).Want(t, 409)
	hrC.Post("/api/v1/users", map[string]any{"email": "x@example.com", "name": "X", "employee_id": "A-1"}).Want(t, 409)
	hrC.Post("/api/v1/users", map[string]any{"email": "t@example.com", "name": "T", "roles": []string{"trainer"}}).Want(t, 403)
	hrC.Post("/api/v1/users", map[string]any{"email": "not-an-email", "name": "T"}).Want(t, 422)
	hrC.Post("/api/v1/users", map[string]any{"email": "w@example.com", "name": "W", "password": "short"}).Want(t, 422)
	hrC.Post("/api/v1/users", map[string]any{"email": "r@example.com", "name": "R", "roles": []string{"wizard"}}).Want(t, 422)
	adminC.Post("/api/v1/users", map[string]any{"email": "t@example.com", "name": "Tess Trainer", "roles": []string{"trainer", "learner"}}).Want(t, 201)

	got := hrC.Get("/api/v1/users/"+id).Want(t, 200).Map(t)
	if got["name"] != "Ada Lovelace" {
		t.Fatalf("get = %v", got)
	}
	hrC.Get("/api/v1/users/nope").Want(t, 404)
	hrC.Patch("/api/v1/users/"+id, map[string]any{"department": "Performance"}).Want(t, 200)
	hrC.Patch("/api/v1/users/"+id, map[string]any{"roles": []string{"admin"}}).Want(t, 403)
	hrC.Patch("/api/v1/users/"+hrUser.ID, map[string]any{"name": "Self Promotion"}).Want(t, 403)
	adminC.Patch("/api/v1/users/"+id, map[string]any{"roles": []string{"learner", "trainer"}}).Want(t, 200)
	if n := countAudit(t, e, "user.roles_changed"); n != 1 {
		t.Fatalf("roles_changed events = %d", n)
	}
	// HR may not touch the user any more: they are not just a learner.
	hrC.Patch("/api/v1/users/"+id, map[string]any{"name": "Ada L."}).Want(t, 403)

	// Filters and pagination.
	for i := range 5 {
		adminC.Post("/api/v1/users", map[string]any{"email": fmt.Sprintf("p%d@example.com", i), "name": fmt.Sprintf("Page %d", i), "department": "Paging"}).Want(t, 201)
	}
	var seen []string
	cursor := ""
	for {
		var pg struct {
			Items      []map[string]any `json:"items"`
			NextCursor string           `json:"next_cursor"`
		}
		hrC.Get("/api/v1/users?department=Paging&limit=2&cursor="+cursor).Want(t, 200).Decode(t, &pg)
		for _, it := range pg.Items {
			seen = append(seen, it["email"].(string))
		}
		if pg.NextCursor == "" {
			break
		}
		cursor = pg.NextCursor
	}
	if len(seen) != 5 || !slices.IsSorted(seen) {
		t.Fatalf("paged = %v", seen)
	}
	q := hrC.Get("/api/v1/users?q=LOVELACE").Want(t, 200).Map(t)
	if items := q["items"].([]any); len(items) != 1 {
		t.Fatalf("q=LOVELACE found %d", len(items))
	}
	hrC.Get("/api/v1/users?limit=501").Want(t, 400)
	hrC.Get("/api/v1/users?cursor=***").Want(t, 400)

	// Audit: admin only, filterable.
	ev := adminC.Get("/api/v1/audit?action=user.created&limit=3").Want(t, 200).Map(t)
	if len(ev["items"].([]any)) != 3 || ev["next_cursor"] == "" {
		t.Fatalf("audit page = %v", ev)
	}
	adminC.Get("/api/v1/audit?from=yesterday").Want(t, 400)
	adminC.Get("/api/v1/audit?to=9999-12-31T23:59:59-01:00").Want(t, 400) // year 10000 in UTC
}

// An admin can set a password for an imported user, who can then sign in;
// disabling the user ends their access at once.
func TestAdminSetsPasswordAndDisables(t *testing.T) {
	e := newTestEnv(t)
	adminC, _ := e.as(identity.RoleAdmin)
	u := adminC.Post("/api/v1/users", map[string]any{"email": "nopw@example.com", "name": "No Password"}).Want(t, 201).Map(t)
	e.c.Post("/api/v1/auth/login", map[string]string{"email": "nopw@example.com", "password": "anything at all"}).Want(t, 401)
	adminC.Patch("/api/v1/users/"+u["id"].(string), map[string]any{"password": "a fresh passphrase 9"}).Want(t, 200)
	s := e.login("nopw@example.com", "a fresh passphrase 9")
	me := e.c.As(s["access_token"].(string))
	me.Get("/api/v1/me").Want(t, 200)
	adminC.Patch("/api/v1/users/"+u["id"].(string), map[string]any{"disabled": true}).Want(t, 200)
	me.Get("/api/v1/me").Want(t, 401)
	e.c.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": s["refresh_token"].(string)}).Want(t, 401)
	e.c.Post("/api/v1/auth/login", map[string]string{"email": "nopw@example.com", "password": "a fresh passphrase 9"}).Want(t, 401)
}

// No password or hash ever appears in a response or a log line.
func TestNoSecretsInResponsesOrLogs(t *testing.T) {
	e := newTestEnv(t)
	adminC, _ := e.as(identity.RoleAdmin)
	secret := "unmistakable-secret-passphrase"
	var bodies []string
	res := adminC.Post("/api/v1/users", map[string]any{"email": "s@example.com", "name": "S", "password": secret}).Want(t, 201)
	bodies = append(bodies, string(res.Body))
	bodies = append(bodies, string(e.c.Post("/api/v1/auth/login", map[string]string{"email": "s@example.com", "password": secret}).Want(t, 200).Body))
	bodies = append(bodies, string(e.c.Post("/api/v1/auth/login", map[string]string{"email": "s@example.com", "password": secret + "x"}).Body))
	bodies = append(bodies, string(adminC.Get("/api/v1/users?q=s@example.com").Body))
	bodies = append(bodies, string(adminC.Get("/api/v1/audit").Body))
	var hash string
	e.db.R.Table("users").Where("email = ?", "s@example.com").Select("password_hash").Scan(&hash)
	if !strings.HasPrefix(hash, "$argon2id$") {
		t.Fatalf("stored hash = %q", hash)
	}
	logs := e.logs.String()
	for _, needle := range []string{secret, hash, "$argon2id$", "password_hash"} {
		if strings.Contains(logs, needle) {
			t.Errorf("log contains %q", needle)
		}
		for _, b := range bodies {
			if strings.Contains(b, needle) {
				t.Errorf("response contains %q: %s", needle, b)
			}
		}
	}
}

var _ = apitest.Header

// An admin cannot lock themselves out: no self-disable, no dropping one's
// own admin role.
func TestAdminCannotLockThemselvesOut(t *testing.T) {
	e := newTestEnv(t)
	adminC, admin := e.as(identity.RoleAdmin)
	adminC.Patch("/api/v1/users/"+admin.ID, map[string]any{"disabled": true}).Want(t, 409)
	adminC.Patch("/api/v1/users/"+admin.ID, map[string]any{"roles": []string{"learner"}}).Want(t, 409)
	adminC.Patch("/api/v1/users/"+admin.ID, map[string]any{"roles": []string{"admin", "trainer"}}).Want(t, 200)
	other := e.user(identity.RoleAdmin)
	adminC.Patch("/api/v1/users/"+other.ID, map[string]any{"roles": []string{"learner"}}).Want(t, 200)
}

// A password hash made with older cost settings is upgraded at the next
// sign-in, and the password keeps working.
func TestLoginUpgradesOldHashes(t *testing.T) {
	e := newTestEnv(t)
	u := e.user()
	older := cheapParams
	older.Time = 2
	old, err := older.Hash(rand.Reader, e.password)
	if err != nil {
		t.Fatal(err)
	}
	e.db.W.Table("users").Where("id = ?", u.ID).Update("password_hash", old)
	e.login(u.Email, e.password)
	var stored string
	e.db.R.Table("users").Where("id = ?", u.ID).Select("password_hash").Scan(&stored)
	if stored == old || cheapParams.NeedsRehash(stored) {
		t.Fatalf("hash not upgraded: %s", stored)
	}
	e.login(u.Email, e.password)
}

// A spent refresh token presented again within the grace gets one sibling
// in the same family, audited; a third presentation, or one after the
// grace, revokes the family, siblings included. Siblings keep the
// family's absolute end.
func TestRefreshReuseGrace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		u := e.user()
		refresh := func(tok string, want int) map[string]any {
			t.Helper()
			res := e.c.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": tok}).Want(t, want)
			if want != 200 {
				return nil
			}
			return res.Map(t)
		}
		r1 := e.login(u.Email, e.password)["refresh_token"].(string)
		a := refresh(r1, 200)
		e.clock.Advance(9 * time.Second)
		b := refresh(r1, 200) // the other tab, within the grace: a sibling
		if b["refresh_token"] == a["refresh_token"] {
			t.Fatal("the sibling is the same token")
		}
		if n := countAudit(t, e, "auth.refresh_token_grace"); n != 1 {
			t.Fatalf("grace audit events = %d, want 1", n)
		}
		// Both lines live on.
		a2 := refresh(a["refresh_token"].(string), 200)
		b2 := refresh(b["refresh_token"].(string), 200)
		e.c.As(b2["access_token"].(string)).Get("/api/v1/me").Want(t, 200)
		// Once per token: a third presentation, though within the grace,
		// is reuse and ends the whole family, siblings included.
		refresh(r1, 401)
		refresh(a2["refresh_token"].(string), 401)
		refresh(b2["refresh_token"].(string), 401)
		e.c.As(b2["access_token"].(string)).Get("/api/v1/me").Want(t, 401)
		if n := countAudit(t, e, "auth.refresh_token_reused"); n != 1 {
			t.Fatalf("reuse audit events = %d, want 1", n)
		}

		// After the grace, reuse revokes at once.
		r := e.login(u.Email, e.password)["refresh_token"].(string)
		c := refresh(r, 200)
		e.clock.Advance(10*time.Second + time.Millisecond)
		refresh(r, 401)
		refresh(c["refresh_token"].(string), 401)

		// Siblings keep the family's absolute end (90 days from sign-in).
		r = e.login(u.Email, e.password)["refresh_token"].(string)
		for range 3 { // days 25, 50, 75, going on with the sibling each time
			e.clock.Advance(25 * 24 * time.Hour)
			refresh(r, 200)
			r = refresh(r, 200)["refresh_token"].(string)
		}
		e.clock.Advance(15 * 24 * time.Hour)
		refresh(r, 401) // day 90: the family's end
	})
}

// A person's line manager is set on creation or by a patch, cleared by an
// empty value, and must be someone else whose own reporting line does not
// come back to the person.
func TestManagers(t *testing.T) {
	e := newTestEnv(t)
	hrC, _ := e.as(identity.RoleHR)
	mk := func(email, manager string) string {
		body := map[string]any{"email": email, "name": email}
		if manager != "" {
			body["manager_id"] = manager
		}
		return hrC.Post("/api/v1/users", body).Want(t, 201).Map(t)["id"].(string)
	}
	boss := mk("boss@example.com", "")
	lead := mk("lead@example.com", boss)
	staff := mk("staff@example.com", lead)

	got := hrC.Get("/api/v1/users/"+staff).Want(t, 200).Map(t)
	if got["manager_id"] != lead {
		t.Fatalf("staff's manager = %v, want %s", got["manager_id"], lead)
	}
	if got := hrC.Get("/api/v1/users/"+boss).Want(t, 200).Map(t); got["manager_id"] != nil {
		t.Fatalf("boss's manager = %v, want null", got["manager_id"])
	}
	hrC.Post("/api/v1/users", map[string]any{"email": "x@example.com", "name": "X", "manager_id": "nobody"}).
		Want(t, 422).WantField(t, "manager_id")
	hrC.Patch("/api/v1/users/"+staff, map[string]any{"manager_id": staff}).Want(t, 422).WantField(t, "manager_id")
	// boss → lead → staff: making staff the boss's manager closes a loop.
	hrC.Patch("/api/v1/users/"+boss, map[string]any{"manager_id": staff}).Want(t, 422).WantField(t, "manager_id")

	hrC.Patch("/api/v1/users/"+staff, map[string]any{"manager_id": boss}).Want(t, 200)
	if got := hrC.Get("/api/v1/users/"+staff).Want(t, 200).Map(t); got["manager_id"] != boss {
		t.Fatalf("after the move, manager = %v", got["manager_id"])
	}
	if got := hrC.Patch("/api/v1/users/"+staff, map[string]any{"manager_id": ""}).Want(t, 200).Map(t); got["manager_id"] != nil {
		t.Fatalf("after clearing, manager = %v", got["manager_id"])
	}
	if n := countAudit(t, e, "user.updated"); n != 2 {
		t.Fatalf("user.updated events = %d, want 2 (move and clear)", n)
	}
}
