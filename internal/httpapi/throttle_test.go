package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// from sends the request from a client address.
func from(ip string) apitest.Option {
	return func(r *http.Request) { r.RemoteAddr = net.JoinHostPort(ip, "40000") }
}

func credentials(email, password string) map[string]string {
	return map[string]string{"email": email, "password": password}
}

// A concurrent burst of wrong passwords from one address at one account
// gets exactly the pair's five password checks; the rest are refused
// before hashing, and the account still opens from another address.
func TestLoginBurstHashesNoMoreThanTheLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var checks atomic.Int64
		e := newTestEnvWith(t, db, func(o *identity.Options) { o.OnPasswordCheck = func() { checks.Add(1) } })
		u := e.user()
		checks.Store(0) // creating the user hashed its password
		const burst = 100
		statuses := make([]int, burst)
		var wg sync.WaitGroup
		for i := range burst {
			wg.Go(func() {
				statuses[i] = e.c.Post("/api/v1/auth/login", credentials(u.Email, fmt.Sprintf("wrong guess %d", i)),
					from("203.0.113.9")).Status
			})
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[401] != 5 || count[429] != burst-5 || checks.Load() != 5 {
			t.Fatalf("statuses %v after %d password checks; want 5 × 401, %d × 429 and 5 checks", count, checks.Load(), burst-5)
		}
		if n := countAudit(t, e, "auth.login_failed"); n != 5 {
			t.Fatalf("failed-login audit events = %d, want 5", n)
		}
		e.c.Post("/api/v1/auth/login", credentials(u.Email, e.password), from("203.0.113.9")).Want(t, 429)
		e.c.Post("/api/v1/auth/login", credentials(u.Email, e.password), from("198.51.100.20")).Want(t, 200)
		if checks.Load() != 6 {
			t.Fatalf("password checks = %d, want 6", checks.Load())
		}
	})
}

// One person's five bad sign-ins lock only their (address, account) pair;
// IPv6 addresses count by /64; many addresses together reach the account's
// ceiling, after which the account takes one attempt a minute; an admin can
// unlock it; one address has a wider budget across accounts.
func TestThrottleByPairAccountAndAddress(t *testing.T) {
	e := newTestEnv(t)
	u := e.user()
	adminC, _ := e.as(identity.RoleAdmin)
	login := func(ip, pw string) *apitest.Response {
		t.Helper()
		return e.c.Post("/api/v1/auth/login", credentials(u.Email, pw), from(ip))
	}
	for range 5 {
		login("203.0.113.1", "not the password").Want(t, 401)
	}
	res := login("203.0.113.1", e.password).Want(t, 429)
	if ra, _ := strconv.Atoi(res.Header.Get("Retry-After")); ra < 14*60 || ra > 15*60 {
		t.Fatalf("Retry-After = %q, want about 15 minutes", res.Header.Get("Retry-After"))
	}
	login("198.51.100.7", e.password).Want(t, 200)

	// One IPv6 /64 is one client; the next /64 is another.
	for i := range 5 {
		login(fmt.Sprintf("2001:db8:0:7::%x", i+1), "not the password").Want(t, 401)
	}
	login("2001:db8:0:7::ffff", e.password).Want(t, 429)
	login("2001:db8:0:8::1", "not the password").Want(t, 401)

	// 11 attempts so far (the success gave its own back); nine more from
	// two new addresses reach the ceiling of 20.
	for i := range 9 {
		login(fmt.Sprintf("192.0.2.%d", 10+i/5), "not the password").Want(t, 401)
	}
	res = login("192.0.2.99", e.password).Want(t, 429)
	if ra, _ := strconv.Atoi(res.Header.Get("Retry-After")); ra < 1 || ra > 60 {
		t.Fatalf("account delay Retry-After = %q, want at most a minute", res.Header.Get("Retry-After"))
	}
	e.clock.Advance(61 * time.Second)
	login("192.0.2.99", "not the password").Want(t, 401) // one attempt a minute
	login("192.0.2.98", e.password).Want(t, 429)

	// An admin unlocks: the account and its pairs are cleared.
	adminC.Post("/api/v1/users/"+u.ID+"/unlock", nil).Want(t, 204)
	adminC.Post("/api/v1/users/nobody/unlock", nil).Want(t, 404)
	login("203.0.113.1", e.password).Want(t, 200)
	if n := countAudit(t, e, identity.ActionAccountUnlocked); n != 1 {
		t.Fatalf("unlock audit events = %d, want 1", n)
	}

	// One address: 50 attempts across accounts, then 429 for any account.
	for i := range 50 {
		e.c.Post("/api/v1/auth/login", credentials(fmt.Sprintf("spray%d@example.com", i), "not the password"),
			from("198.51.100.66")).Want(t, 401)
	}
	e.c.Post("/api/v1/auth/login", credentials(u.Email, e.password), from("198.51.100.66")).Want(t, 429)
}

// Expired counters are deleted: the table holds only the last window.
func TestThrottleRowsArePruned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		for i := range 30 {
			e.c.Post("/api/v1/auth/login", credentials(fmt.Sprintf("random%d@example.com", i), "not the password"),
				from(fmt.Sprintf("192.0.2.%d", i))).Want(t, 401)
		}
		rows := func() int64 {
			var n int64
			if err := e.db.R.Table("login_throttle").Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := rows(); n != 90 {
			t.Fatalf("throttle rows = %d, want 90 (3 per attempt)", n)
		}
		e.clock.Advance(16 * time.Minute)
		e.c.Post("/api/v1/auth/login", credentials("late@example.com", "not the password"), from("192.0.2.200")).Want(t, 401)
		if n := rows(); n != 3 {
			t.Fatalf("throttle rows after the window = %d, want 3 (only the new attempt's)", n)
		}
	})
}

// Guesses of the current password on PUT /me/password are throttled with
// the sign-in limits and audited.
func TestChangePasswordGuessesAreThrottledAndAudited(t *testing.T) {
	e := newTestEnv(t)
	u := e.user()
	s := e.login(u.Email, e.password)
	me := e.c.As(s["access_token"].(string))
	change := func(current string) *apitest.Response {
		t.Helper()
		return me.Put("/api/v1/me/password", map[string]string{"current_password": current,
			"new_password": "a brand new passphrase"}, from("203.0.113.50"))
	}
	for range 5 {
		change("a wrong guess").Want(t, 422)
	}
	change(e.password).Want(t, 429)
	if n := countAudit(t, e, identity.ActionPasswordChangeFailed); n != 5 {
		t.Fatalf("password_change_failed events = %d, want 5", n)
	}
	// A new password the policy refuses costs no attempt.
	me.Put("/api/v1/me/password", map[string]string{"current_password": e.password, "new_password": "short"},
		from("203.0.113.50")).Want(t, 422)
	// The same pair is locked for sign-in too; another address is not.
	e.c.Post("/api/v1/auth/login", credentials(u.Email, e.password), from("203.0.113.50")).Want(t, 429)
	me.Put("/api/v1/me/password", map[string]string{"current_password": e.password,
		"new_password": "a brand new passphrase"}, from("198.51.100.50")).Want(t, 204)
}

// A login ends at its absolute lifetime however often it is refreshed.
func TestRefreshHasAnAbsoluteLifetime(t *testing.T) {
	e := newTestEnv(t)
	u := e.user()
	refresh := e.login(u.Email, e.password)["refresh_token"].(string)
	for range 3 { // days 29, 58 and 87: each within the 30-day token life
		e.clock.Advance(29 * 24 * time.Hour)
		s := e.c.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": refresh}).Want(t, 200).Map(t)
		refresh = s["refresh_token"].(string)
	}
	e.clock.Advance(3*24*time.Hour + time.Second) // day 90 and a second
	e.c.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": refresh}).Want(t, 401)
	e.login(u.Email, e.password) // signing in again starts a new login
}

// Names and other free text about a person refuse bidirectional controls,
// C1 controls and invisible characters, naming the field.
func TestPersonTextRefusesBidiAndControlCharacters(t *testing.T) {
	e := newTestEnv(t)
	hrC, _ := e.as(identity.RoleHR)
	learner := e.user()
	cases := []struct {
		field, value string
	}{
		{"name", "Ann\u202Efdp.exe"},
		{"name", "Bob\u2066Smith"},
		{"name", "Carl\u0085Jones"},
		{"department", "Sales\u009B"},
		{"department", "Brand\u200F"},
		{"employee_id", "E\u200B1"},
	}
	for _, tc := range cases {
		body := map[string]any{"email": "new@example.com", "name": "Fine Name", tc.field: tc.value}
		for _, res := range []*apitest.Response{
			hrC.Post("/api/v1/users", body).Want(t, 422),
			hrC.Patch("/api/v1/users/"+learner.ID, map[string]any{tc.field: tc.value}).Want(t, 422),
		} {
			var p struct {
				Errors []struct{ Field, Message string } `json:"errors"`
			}
			res.Decode(t, &p)
			if len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				t.Fatalf("%s %q: errors %+v, want one naming %s", tc.field, tc.value, p.Errors, tc.field)
			}
		}
	}
	// Joiners that scripts and emoji need stay allowed.
	hrC.Post("/api/v1/users", map[string]any{"email": "zwj@example.com", "name": "Mina \U0001F469\u200D\U0001F4BB Rahimi\u200C"}).Want(t, 201)
}

// HR disables and re-enables leavers among learners; disabling ends their
// sessions. Staff accounts and roles stay with admins.
func TestHRDisablesAndReenablesLearners(t *testing.T) {
	e := newTestEnv(t)
	hrC, _ := e.as(identity.RoleHR)
	learner := e.user()
	s := e.login(learner.Email, e.password)
	me := e.c.As(s["access_token"].(string))
	hrC.Patch("/api/v1/users/"+learner.ID, map[string]any{"disabled": true}).Want(t, 200)
	me.Get("/api/v1/me").Want(t, 401)
	e.c.Post("/api/v1/auth/refresh", map[string]string{"refresh_token": s["refresh_token"].(string)}).Want(t, 401)
	e.c.Post("/api/v1/auth/login", credentials(learner.Email, e.password)).Want(t, 401)
	hrC.Patch("/api/v1/users/"+learner.ID, map[string]any{"disabled": false}).Want(t, 200)
	e.login(learner.Email, e.password)
	if countAudit(t, e, "user.disabled") != 1 || countAudit(t, e, "user.enabled") != 1 {
		t.Fatal("disable and enable were not both audited")
	}

	hrC.Patch("/api/v1/users/"+learner.ID, map[string]any{"roles": []string{"learner", "trainer"}}).Want(t, 403)
	hrC.Patch("/api/v1/users/"+learner.ID, map[string]any{"roles": []string{"learner"}, "disabled": true}).Want(t, 403)
	for _, role := range []string{identity.RoleTrainer, identity.RoleHR, identity.RoleAdmin} {
		staff := e.user(role)
		hrC.Patch("/api/v1/users/"+staff.ID, map[string]any{"disabled": true}).Want(t, 403)
	}
	mixed := e.user(identity.RoleLearner, identity.RoleTrainer)
	hrC.Patch("/api/v1/users/"+mixed.ID, map[string]any{"disabled": true}).Want(t, 403)
}
