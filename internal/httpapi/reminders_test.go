package httpapi

import (
	"context"
	"net/http"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/identity"
	mailer "github.com/upskill/upskill/internal/mail"
	"github.com/upskill/upskill/internal/mail/mailtest"
	"github.com/upskill/upskill/internal/notify"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// reminders is the daily run as serve's scheduler makes it, on the test
// clock, with delivery to a real SMTP server.
type reminders struct {
	t     *testing.T
	e     *testEnv
	smtpd *mailtest.Server
	d     *outbox.Dispatcher
	svc   *notify.Service
	seen  int
}

func newReminders(t *testing.T, e *testEnv) *reminders {
	smtpd, d := withMail(t, e)
	svc := notify.New(e.db, assignments.CatalogOf(e.srv.Catalog), notify.Options{})
	d.Register(identity.OutboxTarget, digestDeliverer(t, e, smtpd, svc))
	return &reminders{t: t, e: e, smtpd: smtpd, d: d, svc: svc}
}

func digestDeliverer(t *testing.T, e *testEnv, smtpd *mailtest.Server, _ *notify.Service) outbox.Deliverer {
	tpl, err := mailer.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	from, _ := parseAddr("Training <training@example.com>")
	sender := mailer.NewSender(mailer.Settings{Host: "127.0.0.1", Port: smtpd.Port, TLS: mailer.None, From: from}, 10*time.Second)
	return &mailer.Deliverer{Sender: sender, Templates: tpl, Org: "Acme", BaseURL: testBaseURL,
		Compose: map[string]mailer.ComposeFunc{notify.DigestKind: mailer.DigestLetter(e.ids, testBaseURL, time.UTC)}}
}

// day runs the day's digests and returns the messages that arrived.
func (r *reminders) day() []mailtest.Message {
	r.t.Helper()
	sc := &notify.Scheduler{Service: r.svc, Hour: 8, Now: r.e.clock.Now}
	if _, err := sc.RunOnce(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	// A second run the same day (another replica, a restart) adds nothing.
	again := &notify.Scheduler{Service: r.svc, Hour: 8, Now: r.e.clock.Now}
	if _, err := again.RunOnce(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	deliverAll(r.t, r.d)
	all := r.smtpd.Messages()
	got := all[r.seen:]
	r.seen = len(all)
	return got
}

func lines(m mailtest.Message) []string {
	var out []string
	for _, l := range strings.Split(m.Text, "\n") {
		if strings.HasPrefix(l, "- ") {
			out = append(out, l)
		}
	}
	return out
}

func TestDailyDigestsOverTheWeeks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		publishCourse(t, e, "fair-ai", "Fair AI")
		publishCourse(t, e, "safe-data", "Safe data")
		r := newReminders(t, e)
		hr, _ := e.as(identity.RoleHR)
		_, ann := e.as(identity.RoleLearner)
		bob := e.userIn("Sales")
		// The test clock stands at Monday 2 March 2026, 09:00 UTC.
		due := e.clock.Now().Add(10 * 24 * time.Hour) // Thursday 12 March
		hr.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{ann.ID, bob.ID},
			"due_at": due.Format(time.RFC3339)}).Want(t, http.StatusCreated)

		got := r.day()
		if len(got) != 2 {
			t.Fatalf("day 1: want a digest each for Ann and Bob, got %d", len(got))
		}
		for _, m := range got {
			if l := lines(m); len(l) != 1 || l[0] != "- New for you: Fair AI (Thu 12 Mar 2026)" {
				t.Fatalf("day 1 digest for %s: %q", m.To, l)
			}
			if m.Subject != "Your training: 1 item to note" || !strings.Contains(m.HTML, "New for you") {
				t.Fatalf("day 1 subject %q", m.Subject)
			}
		}
		// Same day, a new assignment: it waits for tomorrow's digest.
		hr.Post("/api/v1/assignments", map[string]any{"module": "safe-data", "user_ids": []string{ann.ID},
			"due_at": e.clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)}).Want(t, http.StatusCreated)
		if got := r.day(); len(got) != 0 {
			t.Fatalf("a second digest the same day: %d", len(got))
		}
		e.clock.Advance(24 * time.Hour)
		got = r.day()
		if len(got) != 1 || got[0].To != ann.Email || lines(got[0])[0] != "- New for you: Safe data (Wed 1 Apr 2026)" {
			t.Fatalf("day 2: %+v", got)
		}
		// Ann turns optional reminders off; Bob keeps them.
		learner := e.c.As(e.token(ann))
		learner.Put("/api/v1/me/notifications", map[string]any{"reminders": false}).Want(t, http.StatusOK)
		if res := learner.Get("/api/v1/me/notifications"); res.Map(t)["reminders"] != false {
			t.Fatalf("settings: %s", res.Body)
		}
		if res := learner.Put("/api/v1/me/notifications", map[string]any{"reminders": "no"}); res.Status != http.StatusBadRequest {
			t.Fatalf("a string for a bool: %d", res.Status)
		}

		// Monday 9 March: Fair AI is due within three days.
		e.clock.Advance(6 * 24 * time.Hour)
		got = r.day()
		if len(got) != 1 || got[0].To != bob.Email || lines(got[0])[0] != "- Due on: Fair AI (Thu 12 Mar 2026)" {
			t.Fatalf("due soon: only Bob (Ann opted out): %+v", got)
		}
		// Bob completes it; Ann does not.
		e.clock.Advance(24 * time.Hour)
		if got := r.day(); len(got) != 0 {
			t.Fatalf("nothing new the next day, got %d", len(got))
		}
		bobC := e.c.As(e.token(bob))
		finishLessons(t, bobC, "fair-ai")
		a := openAttempt(t, bobC, "fair-ai")
		bobC.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK)

		// Friday 13 March: overdue for Ann, whatever her setting; weekly after.
		e.clock.Advance(3 * 24 * time.Hour)
		got = r.day()
		if len(got) != 1 || got[0].To != ann.Email || got[0].Subject != "Overdue training: 1 item" ||
			lines(got[0])[0] != "- Overdue since: Fair AI (Thu 12 Mar 2026)" {
			t.Fatalf("overdue: %+v", got)
		}
		for day := 1; day < 7; day++ {
			e.clock.Advance(24 * time.Hour)
			if got := r.day(); len(got) != 0 {
				t.Fatalf("overdue notices are weekly; day %d brought %d", day, len(got))
			}
		}
		e.clock.Advance(24 * time.Hour)
		if got := r.day(); len(got) != 1 || got[0].To != ann.Email {
			t.Fatalf("a week later, the overdue notice again: %+v", got)
		}
		// A disabled person gets nothing.
		admin, _ := e.as(identity.RoleAdmin)
		admin.Patch("/api/v1/users/"+ann.ID, map[string]any{"disabled": true}).Want(t, http.StatusOK)
		e.clock.Advance(7 * 24 * time.Hour)
		if got := r.day(); len(got) != 0 {
			t.Fatalf("a disabled account got mail: %+v", got)
		}
	})
}

func TestExpiringRecordsAreRemindedOnce(t *testing.T) {
	e := newTestEnv(t)
	trainer, _ := e.as(identity.RoleTrainer)
	trainer.Put("/api/v1/modules/fair-ai", course("Fair AI", "valid_for: 60d")).Want(t, http.StatusCreated)
	r := newReminders(t, e)
	c, me := e.as(identity.RoleLearner)
	finishLessons(t, c, "fair-ai")
	a := openAttempt(t, c, "fair-ai")
	c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK)
	if got := r.day(); len(got) != 0 {
		t.Fatalf("nothing to remind yet: %d", len(got))
	}
	e.clock.Advance(31 * 24 * time.Hour)
	got := r.day()
	if len(got) != 1 || got[0].To != me.Email || lines(got[0])[0] != "- Your certificate expires: Fair AI (Fri 1 May 2026)" {
		t.Fatalf("expiry reminder: %+v", got)
	}
	e.clock.Advance(24 * time.Hour)
	if got := r.day(); len(got) != 0 {
		t.Fatalf("the expiry reminder went twice")
	}
}

func parseAddr(s string) (*netmail.Address, error) { return netmail.ParseAddress(s) }
