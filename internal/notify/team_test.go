package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/notify"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// A line manager's digest lists each direct report's overdue assignment
// (then weekly), never a report's other items; a manager who turned
// reminders off, or whose account is disabled, gets none.
func TestManagerDigest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
		exec := func(q string, args ...any) {
			t.Helper()
			if err := db.W.Exec(q, args...).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, u := range []struct{ id, manager string }{{"boss", ""}, {"quiet", ""}, {"ann", "boss"}, {"ben", "boss"}, {"cat", "quiet"}} {
			exec(`INSERT INTO users (id, email, name, department, roles, created_at, updated_at) VALUES (?, ?, ?, 'Sales', 'learner', ?, ?)`,
				u.id, u.id+"@example.com", u.id, now, now)
			if u.manager != "" {
				exec(`UPDATE users SET manager_id = ? WHERE id = ?`, u.manager, u.id)
			}
		}
		exec(`INSERT INTO notification_prefs (user_id, reminders, updated_at) VALUES ('quiet', ?, ?)`, false, now)
		// Ann is overdue; Ben's is due soon (his own reminder only); Cat is overdue but her manager opted out.
		exec(`INSERT INTO assignments (id, user_id, module, due_at, assigned_at, grace_days) VALUES ('a1', 'ann', 'ai-basics', ?, ?, 0)`, now.Add(-48*time.Hour), now.AddDate(0, -1, 0))
		exec(`INSERT INTO assignments (id, user_id, module, due_at, assigned_at, grace_days) VALUES ('a2', 'ben', 'ai-basics', ?, ?, 0)`, now.Add(24*time.Hour), now.AddDate(0, -1, 0))
		exec(`INSERT INTO assignments (id, user_id, module, due_at, assigned_at, grace_days) VALUES ('a3', 'cat', 'ai-basics', ?, ?, 0)`, now.Add(-48*time.Hour), now.AddDate(0, -1, 0))
		cat := assignments.StaticCatalog{"ai-basics": {Slug: "ai-basics", Title: "AI Basics", Revision: 1}}
		s := notify.New(db, cat, notify.Options{})
		digests, err := s.Plan(context.Background(), now)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]notify.Item{}
		for _, d := range digests {
			got[d.UserID] = d.Items
		}
		if items := got["boss"]; len(items) != 1 || items[0].Kind != notify.TeamOverdue || items[0].Person != "ann" || items[0].Title != "AI Basics" {
			t.Errorf("the manager's digest: %+v", items)
		}
		if items := got["quiet"]; len(items) != 0 {
			t.Errorf("an opted-out manager: %+v", items)
		}
		if _, err := s.Enqueue(context.Background(), now, digests); err != nil {
			t.Fatal(err)
		}
		// The next day nothing new; a week later Ann's weekly notice again, and Ben's first.
		if d, _ := s.Plan(context.Background(), now.AddDate(0, 0, 1)); len(d) != 0 {
			t.Errorf("a second notice the next day: %+v", d)
		}
		d, _ := s.Plan(context.Background(), now.AddDate(0, 0, 7))
		kinds := map[string]string{}
		for _, x := range d {
			for _, it := range x.Items {
				kinds[x.UserID] += it.Kind + " "
			}
		}
		if kinds["boss"] != "team_overdue team_overdue " { // Ann again, and Ben, overdue by now
			t.Errorf("a week later: %v", kinds)
		}
		exec(`UPDATE users SET disabled = ? WHERE id = 'boss'`, true)
		d, _ = s.Plan(context.Background(), now.AddDate(0, 0, 14))
		for _, x := range d {
			if x.UserID == "boss" {
				t.Errorf("a disabled manager's digest: %+v", x)
			}
		}
	})
}
