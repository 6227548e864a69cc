package learning_test

import (
	"context"
	"sync"
	"testing"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// race runs fn n times at once and waits for all of them.
func race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func TestRacingAttemptCreationRespectsMaxAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.publish(spec{slug: "bias", lessons: []string{"one"}, quiz: threeQuestions, front: []string{"max_attempts: 3"}})
		u := e.user()
		e.completeLessons(u, "bias")

		// Opening at once: one attempt drawn, every caller gets it.
		var mu sync.Mutex
		ids, created := map[string]int{}, 0
		race(12, func(int) {
			a, c, err := e.svc.StartAttempt(ctx, u, "bias")
			if err != nil {
				t.Errorf("start: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[a.ID]++
			if c {
				created++
			}
		})
		if len(ids) != 1 || created != 1 {
			t.Fatalf("racing opens drew %d attempts, %d created", len(ids), created)
		}

		// Everyone opens and fails attempts until none is left.
		race(12, func(int) {
			for {
				a, _, err := e.svc.StartAttempt(ctx, u, "bias")
				if fault.As(err).Type == learning.TypeAttemptsExhausted {
					return
				}
				if err != nil {
					t.Errorf("start: %v", err)
					return
				}
				_, err = e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, false))
				if err != nil && fault.As(err).Type != learning.TypeAttemptSubmitted {
					t.Errorf("submit: %v", err)
					return
				}
			}
		})
		if n := count(t, db, "attempts", "user_id = ?", u); n != 3 {
			t.Fatalf("%d attempts with max_attempts 3", n)
		}
		if n := count(t, db, "attempts", "user_id = ? AND submitted_at IS NOT NULL", u); n != 3 {
			t.Fatalf("%d attempts submitted", n)
		}
	})
}

func TestRacingSubmitsGradeOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		e.publish(spec{slug: "bias", lessons: []string{"one"}, quiz: threeQuestions})
		u := e.user()
		e.completeLessons(u, "bias")
		a, _, _ := e.svc.StartAttempt(ctx, u, "bias")

		var mu sync.Mutex
		graded, refused, records := 0, 0, 0
		race(12, func(i int) {
			// Half answer right, half wrong: whichever wins is the only grade.
			res, err := e.svc.SubmitAttempt(ctx, u, a.ID, answers(a, i%2 == 0))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				graded++
				if res.Completion != nil {
					records++
				}
			case fault.As(err).Type == learning.TypeAttemptSubmitted:
				refused++
			default:
				t.Errorf("submit: %v", err)
			}
		})
		if graded != 1 || refused != 11 {
			t.Fatalf("graded %d, refused %d", graded, refused)
		}
		if n := count(t, db, "records", "user_id = ?", u); n != records {
			t.Fatalf("%d records, %d reported", n, records)
		}
	})
}

// Every lesson completed at once by several requests (the last ones
// racing): exactly one record per learner, and never none.
func TestRacingCompletionsIssueOneRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		lessons := []string{"one", "two", "three", "four"}
		e.publish(spec{slug: "basics", lessons: lessons})
		for round := 0; round < 5; round++ {
			u := e.user()
			race(8, func(i int) {
				lesson := lessons[i%len(lessons)]
				if _, err := e.svc.RecordProgress(ctx, u, "basics", lesson, learning.ProgressUpdate{Completed: true, SecondsSpent: 5}); err != nil {
					t.Errorf("progress: %v", err)
				}
			})
			if n := count(t, db, "records", "user_id = ?", u); n != 1 {
				t.Fatalf("round %d: %d records", round, n)
			}
			var secs int64
			db.R.Table("lesson_progress").Select("SUM(seconds_spent)").Where("user_id = ?", u).Scan(&secs)
			// Each lesson's first call counts its 5 s; the racing second call
			// at the same instant adds nothing, since time counts only as it
			// passes (the calls queue on the enrolment row, so both
			// databases agree).
			if secs != 20 {
				t.Fatalf("round %d: %d seconds recorded, want 20", round, secs)
			}
		}
	})
}

// The guarantees rest on constraints, not on timing: the schema itself
// refuses a second record for one certification cycle, a second attempt
// with the same number, and a second open attempt.
func TestSchemaGuardsUniqueness(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u := e.user()
		insert := func(table string, row map[string]any) error {
			return db.W.Table(table).Create(row).Error
		}
		rec := func(id string, cycle int) map[string]any {
			return map[string]any{"id": id, "user_id": u, "module": "m", "module_title": "M", "revision": 1,
				"content_hash": "h", "cycle": cycle, "holder_name": "H", "issued_at": e.clock.Now(), "credential": "c"}
		}
		att := func(id string, number int, open bool) map[string]any {
			row := map[string]any{"id": id, "user_id": u, "module": "m", "revision": 1, "cycle": 0, "number": number,
				"questions": "[]", "pass_mark": 80, "reveal": "never", "started_at": e.clock.Now()}
			if !open {
				row["submitted_at"] = e.clock.Now()
			}
			return row
		}
		for name, tc := range map[string]struct{ first, second func() error }{
			"record per cycle": {
				func() error { return insert("records", rec("r1", 0)) },
				func() error { return insert("records", rec("r2", 0)) }},
			"attempt number": {
				func() error { return insert("attempts", att("a1", 1, false)) },
				func() error { return insert("attempts", att("a2", 1, false)) }},
			"one open attempt": {
				func() error { return insert("attempts", att("a3", 2, true)) },
				func() error { return insert("attempts", att("a4", 3, true)) }},
		} {
			if err := tc.first(); err != nil {
				t.Fatalf("%s: first insert: %v", name, err)
			}
			if err := tc.second(); !store.IsUniqueViolation(err) {
				t.Errorf("%s: second insert = %v, want a unique violation", name, err)
			}
		}
	})
}
