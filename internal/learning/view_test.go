package learning_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// A module's progress is read in one statement (Progress, RecordProgress)
// and, for the list of a learner's modules, one query per table
// (Enrollments): both must say the same at every step of a learner's way
// through lessons, failed and passed attempts, a revocation, a new cycle,
// expiry, a prerequisite and a due date.
func TestOneStatementProgressMatchesTheListsProgress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.publish(spec{slug: "basics", lessons: []string{"one", "two"}})
		e.publish(spec{slug: "quizzed", lessons: []string{"one", "two"}, quiz: threeQuestions,
			front: []string{"valid_for: 365d", "max_attempts: 3", "prerequisites: [basics]"}})
		u := e.user()
		now := e.clock.Now()
		if err := db.W.Exec(`INSERT INTO assignments (id, user_id, module, due_at, assigned_at, grace_days) VALUES (?, ?, ?, ?, ?, 0)`,
			"asg-1", u, "quizzed", now.Add(14*24*time.Hour), now).Error; err != nil {
			t.Fatal(err)
		}
		same := func(step, slug string) learning.ModuleProgress {
			t.Helper()
			one, err := e.svc.Progress(ctx, u, slug)
			if err != nil {
				t.Fatalf("%s: progress: %v", step, err)
			}
			list, _, err := e.svc.Enrollments(ctx, u, page.Request{Limit: 50})
			if err != nil {
				t.Fatalf("%s: enrollments: %v", step, err)
			}
			for _, p := range list {
				if p.Module == slug {
					if a, b := normal(t, one), normal(t, p); a != b {
						t.Fatalf("%s: one statement says\n%s\nthe list says\n%s", step, a, b)
					}
					return one
				}
			}
			t.Fatalf("%s: %s is not in the list", step, slug)
			return one
		}
		p := same("assigned, locked", "quizzed")
		if !p.Locked || p.DueAt == nil || len(p.MissingPrerequisites) != 1 {
			t.Fatalf("assigned = %+v", p)
		}
		if _, err := e.svc.RecordProgress(ctx, u, "basics", "one", learning.ProgressUpdate{Completed: true, SecondsSpent: 30}); err != nil {
			t.Fatal(err)
		}
		same("one lesson", "basics")
		e.completeLessons(u, "basics")
		if p := same("basics completed", "basics"); p.Status != learning.Completed {
			t.Fatalf("basics = %+v", p)
		}
		same("unlocked", "quizzed")
		e.completeLessons(u, "quizzed")
		a, _, err := e.svc.StartAttempt(ctx, u, "quizzed")
		if err != nil {
			t.Fatal(err)
		}
		same("attempt open", "quizzed")
		if _, err := e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, false)); err != nil {
			t.Fatal(err)
		}
		same("failed once", "quizzed")
		a, _, _ = e.svc.StartAttempt(ctx, u, "quizzed")
		res, err := e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, true))
		if err != nil || res.Completion == nil {
			t.Fatalf("pass: %+v, %v", res, err)
		}
		if p := same("passed", "quizzed"); p.AttemptsUsed != 2 || p.BestScore == nil || *p.BestScore != 100 {
			t.Fatalf("passed = %+v", p)
		}
		admin := identity.Principal{UserID: "admin", Roles: identity.Roles{identity.RoleAdmin}}
		if _, err := e.svc.Revoke(ctx, admin, res.Completion.ID, "issued in error"); err != nil {
			t.Fatal(err)
		}
		if p := same("revoked", "quizzed"); p.Status != learning.InProgress || p.AttemptsUsed != 0 {
			t.Fatalf("revoked = %+v", p)
		}
		a, _, _ = e.svc.StartAttempt(ctx, u, "quizzed")
		if _, err := e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, false)); err != nil {
			t.Fatal(err)
		}
		same("failed in the second cycle", "quizzed")
		a, _, _ = e.svc.StartAttempt(ctx, u, "quizzed")
		if _, err := e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, true)); err != nil {
			t.Fatal(err)
		}
		same("passed again", "quizzed")
		e.clock.Advance(366 * 24 * time.Hour)
		if p := same("expired", "quizzed"); p.Status != learning.Expired {
			t.Fatalf("expired = %+v", p)
		}
	})
}

// normal is p as JSON with every time in UTC, so that the two readings
// compare by what they say, not by how the driver located the times.
func normal(t *testing.T, p learning.ModuleProgress) string {
	t.Helper()
	utc := func(v *time.Time) *time.Time {
		if v == nil {
			return nil
		}
		u := v.UTC()
		return &u
	}
	if p.Completion != nil {
		c := *p.Completion
		c.IssuedAt, c.ExpiresAt, c.RevokedAt = c.IssuedAt.UTC(), utc(c.ExpiresAt), utc(c.RevokedAt)
		p.Completion = &c
	}
	lessons := make([]learning.LessonState, len(p.Lessons))
	for i, l := range p.Lessons {
		lessons[i] = learning.LessonState{Slug: l.Slug, CompletedAt: utc(l.CompletedAt)}
	}
	p.Lessons, p.DueAt = lessons, utc(p.DueAt)
	b, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
