package httpapi

import (
	"context"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
	mailer "github.com/upskill/upskill/internal/mail"
	"github.com/upskill/upskill/internal/mail/mailtest"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// withMail connects e to a real SMTP server through the outbox, as serve
// does with UPSKILL_SMTP_URL set; the test drives the dispatcher.
func withMail(t *testing.T, e *testEnv) (*mailtest.Server, *outbox.Dispatcher) {
	t.Helper()
	smtpd := mailtest.Start(t)
	d := outbox.NewDispatcher(e.db, outbox.Options{Now: e.clock.Now, BaseBackoff: time.Minute})
	hooks := identity.MailHooks{Enabled: true, BaseURL: testBaseURL, GiveUp: 48 * time.Hour, Wake: d.Wake}
	e.ids.Mail = hooks
	tpl, err := mailer.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	from, _ := mail.ParseAddress("Training <training@example.com>")
	sender := mailer.NewSender(mailer.Settings{Host: "127.0.0.1", Port: smtpd.Port, TLS: mailer.None, From: from}, 10*time.Second)
	d.Register(identity.OutboxTarget, &mailer.Deliverer{Sender: sender, Templates: tpl, Org: "Acme", BaseURL: testBaseURL,
		Compose: map[string]mailer.ComposeFunc{
			identity.PurposeInvitation: mailer.TokenLetter(e.ids, hooks.Link, identity.PurposeInvitation),
			identity.PurposeReset:      mailer.TokenLetter(e.ids, hooks.Link, identity.PurposeReset),
		}})
	return smtpd, d
}

func deliverAll(t *testing.T, d *outbox.Dispatcher) {
	t.Helper()
	for {
		n, err := d.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

var tokenInLink = regexp.MustCompile(`#token=([A-Za-z0-9_-]+)`)

func linkToken(t *testing.T, m mailtest.Message, path string) string {
	t.Helper()
	if !strings.Contains(m.Text, testBaseURL+path+"#token=") || !strings.Contains(m.HTML, testBaseURL+path+"#token=") {
		t.Fatalf("both parts should hold the %s link:\n%s\n%s", path, m.Text, m.HTML)
	}
	got := tokenInLink.FindStringSubmatch(m.Text)
	if got == nil {
		t.Fatalf("no token in %q", m.Text)
	}
	return got[1]
}

func TestInvitationByMailEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		smtpd, d := withMail(t, e)
		hr, _ := e.as(identity.RoleHR)
		ann := e.userIn("Marketing") // a learner with a password set by the fixture
		var res = hr.Post("/api/v1/users/"+ann.ID+"/invite", nil)
		if res.Status != http.StatusAccepted || res.Map(t)["delivery"] != "email" || res.Map(t)["link"] != nil {
			t.Fatalf("invite: %d %s", res.Status, res.Body)
		}
		deliverAll(t, d)
		got := smtpd.Wait(1)
		m := got[0]
		if m.To != ann.Email || m.Subject != "You're invited to Acme's AI training" ||
			!strings.Contains(m.Header.Get("From"), "training@example.com") || m.Header.Get("Auto-Submitted") != "auto-generated" {
			t.Fatalf("invitation headers: to %s, subject %q, header %v", m.To, m.Subject, m.Header)
		}
		if strings.Contains(m.HTML, "<img") {
			t.Fatal("mail must carry no images (no tracking pixels)")
		}
		first := linkToken(t, m, "/accept-invite")

		// A second invitation voids the first.
		hr.Post("/api/v1/users/"+ann.ID+"/invite", nil)
		deliverAll(t, d)
		second := linkToken(t, smtpd.Wait(2)[1], "/accept-invite")
		anon := e.c
		if res := anon.Post("/api/v1/auth/accept-invite", map[string]any{"token": first, "password": "a fine long passphrase"}); res.Status != http.StatusBadRequest {
			t.Fatalf("a voided invitation: %d %s", res.Status, res.Body)
		}
		if res := anon.Post("/api/v1/auth/accept-invite", map[string]any{"token": second, "password": "short"}); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("a weak password: %d %s", res.Status, res.Body)
		}
		res = anon.Post("/api/v1/auth/accept-invite", map[string]any{"token": second, "password": "a fine long passphrase"})
		if res.Status != http.StatusOK || res.Map(t)["access_token"] == "" {
			t.Fatalf("accept: %d %s", res.Status, res.Body)
		}
		if res := anon.Post("/api/v1/auth/accept-invite", map[string]any{"token": second, "password": "another long passphrase"}); res.Status != http.StatusGone {
			t.Fatalf("a used invitation: %d %s", res.Status, res.Body)
		}
		if res := anon.Post("/api/v1/auth/login", map[string]any{"email": ann.Email, "password": "a fine long passphrase"}); res.Status != http.StatusOK {
			t.Fatalf("sign in with the chosen password: %d %s", res.Status, res.Body)
		}

		// An expired invitation.
		hr.Post("/api/v1/users/"+ann.ID+"/invite", nil)
		deliverAll(t, d)
		third := linkToken(t, smtpd.Wait(3)[2], "/accept-invite")
		e.clock.Advance(identity.InvitationTTL + time.Second)
		if res := anon.Post("/api/v1/auth/accept-invite", map[string]any{"token": third, "password": "a fine long passphrase"}); res.Status != http.StatusGone {
			t.Fatalf("an expired invitation: %d %s", res.Status, res.Body)
		}
	})
}

func TestInvitationWithoutMailReturnsTheLink(t *testing.T) {
	e := newTestEnv(t)
	hr, _ := e.as(identity.RoleHR)
	trainer := e.user(identity.RoleTrainer)
	learner := e.user(identity.RoleLearner)
	if res := hr.Post("/api/v1/users/"+trainer.ID+"/invite", nil); res.Status != http.StatusForbidden {
		t.Fatalf("HR invited a trainer: %d %s", res.Status, res.Body)
	}
	res := hr.Post("/api/v1/users/"+learner.ID+"/invite", nil)
	body := res.Map(t)
	link, _ := body["link"].(string)
	if res.Status != http.StatusAccepted || body["delivery"] != "link" || !strings.HasPrefix(link, testBaseURL+"/accept-invite#token=") {
		t.Fatalf("invite without mail: %d %s", res.Status, res.Body)
	}
	if res := hr.Post("/api/v1/users/invite", map[string]any{"departments": []string{"Marketing"}}); res.Status != http.StatusConflict {
		t.Fatalf("bulk invite without mail: %d %s", res.Status, res.Body)
	}
	if res := hr.Post("/api/v1/users/nobody/invite", nil); res.Status != http.StatusNotFound {
		t.Fatalf("unknown user: %d", res.Status)
	}
	token := strings.TrimPrefix(link, testBaseURL+"/accept-invite#token=")
	if res := e.c.Post("/api/v1/auth/accept-invite", map[string]any{"token": token, "password": "a fine long passphrase"}); res.Status != http.StatusOK {
		t.Fatalf("accept: %d %s", res.Status, res.Body)
	}
	if res := e.c.Post("/api/v1/auth/accept-invite", map[string]any{"token": token, "extra": 1}); res.Status != http.StatusBadRequest {
		t.Fatalf("unknown field: %d %s", res.Status, res.Body)
	}
}

func TestBulkInvitationSkipsWhomHRMayNotInvite(t *testing.T) {
	e := newTestEnv(t)
	smtpd, d := withMail(t, e)
	hr, _ := e.as(identity.RoleHR)
	a := e.userIn("Marketing")
	b := e.userIn("marketing")
	e.userIn("Sales")
	boss := e.userIn("Marketing", identity.RoleTrainer)
	res := hr.Post("/api/v1/users/invite", map[string]any{"departments": []string{"MARKETING"}})
	if res.Status != http.StatusAccepted || res.Map(t)["invited"] != float64(2) {
		t.Fatalf("bulk: %d %s", res.Status, res.Body)
	}
	deliverAll(t, d)
	got := smtpd.Wait(2)
	to := map[string]bool{got[0].To: true, got[1].To: true}
	if !to[a.Email] || !to[b.Email] || to[boss.Email] {
		t.Fatalf("bulk invitations went to %v", to)
	}
}

func TestPasswordResetByMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		smtpd, d := withMail(t, e)
		u := e.user(identity.RoleLearner)
		before := e.login(u.Email, e.password)

		known := e.c.Post("/api/v1/auth/forgot-password", map[string]any{"email": strings.ToUpper(u.Email)})
		unknown := e.c.Post("/api/v1/auth/forgot-password", map[string]any{"email": "nobody@example.com"})
		if known.Status != http.StatusAccepted || unknown.Status != known.Status || string(unknown.Body) != string(known.Body) {
			t.Fatalf("known %d %q vs unknown %d %q", known.Status, known.Body, unknown.Status, unknown.Body)
		}
		if res := e.c.Post("/api/v1/auth/forgot-password", map[string]any{"email": "not an email"}); res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusBadRequest {
			t.Fatalf("malformed email: %d", res.Status)
		}
		deliverAll(t, d)
		got := smtpd.Wait(1)
		if len(got) != 1 || got[0].To != u.Email || got[0].Subject != "Reset your upskill password" {
			t.Fatalf("reset mail: %+v", got)
		}
		token := linkToken(t, got[0], "/reset-password")
		if res := e.c.Post("/api/v1/auth/reset-password", map[string]any{"token": token, "password": "a brand new passphrase"}); res.Status != http.StatusNoContent {
			t.Fatalf("reset: %d %s", res.Status, res.Body)
		}
		if res := e.c.Post("/api/v1/auth/refresh", map[string]any{"refresh_token": before["refresh_token"]}); res.Status != http.StatusUnauthorized {
			t.Fatalf("a reset must end every session; refresh answered %d", res.Status)
		}
		if res := e.c.Post("/api/v1/auth/reset-password", map[string]any{"token": token, "password": "a brand new passphrase"}); res.Status != http.StatusGone {
			t.Fatalf("a used reset link: %d %s", res.Status, res.Body)
		}
		e.login(u.Email, "a brand new passphrase")

		// Throttled like sign-in, the same for known and unknown emails,
		// without locking the account's sign-in.
		for _, email := range []string{u.Email, "nobody@example.com"} {
			var last int
			for range 6 {
				last = e.c.Post("/api/v1/auth/forgot-password", map[string]any{"email": email}).Status
			}
			if last != http.StatusTooManyRequests {
				t.Fatalf("the sixth reset request for %s answered %d", email, last)
			}
		}
		e.login(u.Email, "a brand new passphrase")
	})
}

func TestMailSurvivesARelayThatRefusesThenReturns(t *testing.T) {
	e := newTestEnv(t)
	smtpd, d := withMail(t, e)
	hr, _ := e.as(identity.RoleHR)
	var ids []string
	for range 3 {
		ids = append(ids, e.userIn("Marketing").ID)
	}
	smtpd.Refuse(451)
	hr.Post("/api/v1/users/"+ids[0]+"/invite", nil)
	deliverAll(t, d)
	smtpd.Stop()
	hr.Post("/api/v1/users/"+ids[1]+"/invite", nil)
	hr.Post("/api/v1/users/"+ids[2]+"/invite", nil)
	deliverAll(t, d)
	if n := len(smtpd.Messages()); n != 0 {
		t.Fatalf("%d messages arrived while the relay refused or was down", n)
	}
	admin, _ := e.as(identity.RoleAdmin)
	res := admin.Get("/api/v1/admin/deliveries?status=pending")
	if items := res.Map(t)["items"].([]any); len(items) != 3 || items[2].(map[string]any)["attempts"] != float64(1) {
		t.Fatalf("pending deliveries: %s", res.Body)
	}
	smtpd.Restart()
	smtpd.Refuse(0)
	e.clock.Advance(time.Hour)
	deliverAll(t, d)
	got := smtpd.Wait(3)
	seen := map[string]int{}
	for _, m := range got {
		seen[m.To]++
	}
	if len(got) != 3 || len(seen) != 3 {
		t.Fatalf("each invitation should arrive exactly once: %v", seen)
	}
}

func TestImportInvitesTheCreated(t *testing.T) {
	e := newTestEnv(t)
	hr, _ := e.as(identity.RoleHR)
	csv := "email,name,department,employee_id\nann@example.com,Ann,Brand,\nbob@example.com,Bob,Brand,\n"
	ct := apitest.Header("Content-Type", "text/csv")
	if res := hr.Post("/api/v1/users/import?invite=true", csv, ct); res.Status != http.StatusConflict {
		t.Fatalf("invite on import without mail: %d %s", res.Status, res.Body)
	}
	if res := hr.Get("/api/v1/users?q=example.com"); strings.Contains(string(res.Body), "ann@example.com") {
		t.Fatal("the refused import created people")
	}
	smtpd, d := withMail(t, e)
	if res := hr.Post("/api/v1/users/import?invite=maybe", csv, ct); res.Status != http.StatusBadRequest {
		t.Fatalf("invite=maybe: %d", res.Status)
	}
	res := hr.Post("/api/v1/users/import?invite=true", csv, ct)
	if res.Status != http.StatusOK || res.Map(t)["invited"] != float64(2) {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	deliverAll(t, d)
	got := smtpd.Wait(2)
	for _, m := range got {
		linkToken(t, m, "/accept-invite")
	}
	// A second import creates nobody and invites nobody.
	if res := hr.Post("/api/v1/users/import?invite=true", csv, ct); res.Map(t)["invited"] != float64(0) {
		t.Fatalf("re-import: %s", res.Body)
	}
}

// Accepting an invitation with "session":"cookie" opens a browser session:
// the refresh token is in the cookie, not the body, and the cookie
// refreshes. Reset-password opens no session and refuses the field.
func TestAcceptInvitationOpensABrowserSession(t *testing.T) {
	e := newTestEnv(t)
	hr, _ := e.as(identity.RoleHR)
	learner := e.user(identity.RoleLearner)
	link, _ := hr.Post("/api/v1/users/"+learner.ID+"/invite", nil).Want(t, http.StatusAccepted).Map(t)["link"].(string)
	token := strings.TrimPrefix(link, testBaseURL+"/accept-invite#token=")
	e.c.Post("/api/v1/auth/accept-invite", map[string]any{"token": token, "password": "a fine long passphrase", "session": "bearer"}).Want(t, http.StatusUnprocessableEntity)
	res := e.c.Post("/api/v1/auth/accept-invite", map[string]any{"token": token, "password": "a fine long passphrase", "session": "cookie"}).Want(t, http.StatusOK)
	if _, ok := res.Map(t)["refresh_token"]; ok {
		t.Fatalf("the refresh token is in the body: %s", res.Body)
	}
	ck := refreshCookieOf(t, res)
	e.c.Post("/api/v1/auth/refresh", map[string]any{}, withCookie(ck.Value)).Want(t, http.StatusOK)
	e.c.Post("/api/v1/auth/reset-password", map[string]any{"token": "x", "password": "a fine long passphrase", "session": "cookie"}).Want(t, http.StatusUnprocessableEntity)
}
