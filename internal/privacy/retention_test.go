package privacy_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/upskill/upskill/internal/clock"
	"github.com/upskill/upskill/internal/privacy"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// TestRetentionDryRunEqualsApply: over an injected clock, the dry run
// lists exactly what the apply then removes; newer rows stay; a second
// run finds nothing; the run is audited.
func TestRetentionDryRunEqualsApply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
		clk := clock.At(start)
		ret := privacy.Retention{Answers: 365 * 24 * time.Hour, Comments: 180 * 24 * time.Hour, AuditDetails: 90 * 24 * time.Hour}
		svc := privacy.New(db, privacy.Options{Now: clk.Now, Retention: ret})

		uid := uuid.NewString()
		exec := func(q string, args ...any) {
			t.Helper()
			if err := db.W.Exec(q, args...).Error; err != nil {
				t.Fatal(err)
			}
		}
		exec(`INSERT INTO users (id, email, name, department, roles, created_at, updated_at) VALUES (?, 'r@example.com', 'R', '', 'learner', ?, ?)`,
			uid, start, start)
		// One row of each kind per month for 24 months, oldest first.
		var attempts []string
		for m := range 24 {
			at := start.AddDate(0, m, 0)
			id := uuid.NewString()
			attempts = append(attempts, id)
			exec(`INSERT INTO attempts (id, user_id, module, revision, cycle, number, questions, pass_mark, reveal, answers,
  started_at, submitted_at, score, passed) VALUES (?, ?, ?, 1, 0, 1, '[]', 80, 'always', '{"q1":["c1"]}', ?, ?, 100, ?)`,
				id, uid, fmt.Sprintf("mod-%02d", m), at, at, true)
			exec(`INSERT INTO feedback (user_id, module, revision, rating, comment, created_at, updated_at) VALUES (?, ?, 1, 4, 'nice', ?, ?)`,
				uid, fmt.Sprintf("mod-%02d", m), at, at)
			exec(`INSERT INTO audit_events (at, actor_id, action, target, details, request_id, client_ip) VALUES (?, ?, 'x.y', 't', '{"k":"v"}', '', '192.0.2.1')`,
				at, uid)
			// A failed sign-in whose details were already empty: its target,
			// the email typed, is what retention removes.
			exec(`INSERT INTO audit_events (at, action, target, details, request_id, client_ip) VALUES (?, 'auth.login_failed', 'typo@example.com', '{}', '', '')`, at)
		}
		clk.Set(start.AddDate(2, 0, 0)) // 2028-01-01
		dry, err := svc.RetentionPlan(ctx, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, d := range dry {
			count[d.Kind]++
		}
		// Answers before 2027-01-01 (12 months), comments before 2027-07-05
		// (18 months), audit details before 2027-10-03 (21 months).
		if count[privacy.RetainAnswers] != 12 || count[privacy.RetainComments] != 19 || count[privacy.RetainAuditDetails] != 44 {
			t.Errorf("dry run counts %v", count)
		}
		applied, err := svc.ApplyRetention(ctx, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(dry, applied, func(a, b privacy.Due) bool { return a.Kind == b.Kind && a.Key == b.Key && a.At.Equal(b.At) }) {
			t.Fatalf("dry run listed %d, apply removed %d:\n%v\n%v", len(dry), len(applied), dry, applied)
		}
		var kept int64
		db.R.Table("attempts").Where("answers IS NOT NULL").Count(&kept)
		if kept != 12 {
			t.Errorf("%d attempts keep answers, want 12", kept)
		}
		var gone int64
		db.R.Table("attempts").Where("answers IS NULL AND id IN ?", attempts[:12]).Count(&gone)
		if gone != 12 {
			t.Errorf("%d of the 12 oldest attempts lost their answers", gone)
		}
		var comments, audits, runs, typed int64
		db.R.Table("audit_events").Where("action = 'auth.login_failed' AND target <> ''").Count(&typed)
		if typed != 2 {
			t.Errorf("%d failed sign-ins keep the email typed, want 2", typed)
		}
		db.R.Table("feedback").Where("comment <> ''").Count(&comments)
		db.R.Table("audit_events").Where("action = 'x.y' AND details <> '{}'").Count(&audits)
		db.R.Table("audit_events").Where("action = ?", privacy.ActionRetained).Count(&runs)
		if comments != 5 || audits != 2 || runs != 1 {
			t.Errorf("comments kept %d (want 5), audit details kept %d (want 2), runs audited %d", comments, audits, runs)
		}
		// audit.Record stamps the run's own entry with the wall clock, which
		// the test clock is two years ahead of: leave that entry out.
		var runID []int64
		db.R.Table("audit_events").Where("action = ?", privacy.ActionRetained).Pluck("id", &runID)
		again, err := svc.RetentionPlan(ctx, clk.Now())
		again = slices.DeleteFunc(again, func(d privacy.Due) bool { return len(runID) == 1 && d.Key == fmt.Sprint(runID[0]) })
		if err != nil || len(again) != 0 {
			t.Errorf("after apply the plan is %v (%v)", again, err)
		}
		// Nothing set: nothing due.
		none := privacy.New(db, privacy.Options{Now: clk.Now})
		if d, err := none.RetentionPlan(ctx, clk.Now().AddDate(10, 0, 0)); err != nil || len(d) != 0 {
			t.Errorf("without periods: %v %v", d, err)
		}
	})
}

// The scheduler serve runs applies retention as the leader.
func TestRetentionSchedulerApplies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clk := clock.At(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		svc := privacy.New(db, privacy.Options{Now: clk.Now, Retention: privacy.Retention{Comments: 30 * 24 * time.Hour}})
		uid := uuid.NewString()
		old := clk.Now().AddDate(0, -2, 0)
		if err := db.W.Exec(`INSERT INTO users (id, email, name, department, roles, created_at, updated_at) VALUES (?, 's@example.com', 'S', '', 'learner', ?, ?)`,
			uid, old, old).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.W.Exec(`INSERT INTO feedback (user_id, module, revision, rating, comment, created_at, updated_at) VALUES (?, 'm-1', 1, 5, 'great', ?, ?)`,
			uid, old, old).Error; err != nil {
			t.Fatal(err)
		}
		sc := &privacy.RetentionScheduler{Service: svc, Now: clk.Now}
		n, err := sc.RunOnce(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("RunOnce: %d, %v", n, err)
		}
		var comment string
		db.R.Table("feedback").Where("user_id = ?", uid).Pluck("comment", &comment)
		if comment != "" {
			t.Errorf("comment kept: %q", comment)
		}
	})
}
