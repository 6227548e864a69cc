package notify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/notify"
	"github.com/upskill/upskill/internal/store/storetest"
)

// BenchmarkDailyDigests100k plans and queues the day's digests for 100,000
// people with two assignments each (one new, one due within three days):
// the work serve's scheduler does once a day.
//
//	go test -run ^$ -bench DailyDigests -benchtime 1x ./internal/notify/
func BenchmarkDailyDigests100k(b *testing.B) {
	const people = 100_000
	db := storetest.SQLite(b)
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	cat := assignments.StaticCatalog{
		"ai-basics": {Slug: "ai-basics", Title: "AI Basics", Revision: 1},
		"privacy":   {Slug: "privacy", Title: "Customer data and AI", Revision: 1},
	}
	seed := func(sql string, rows int, args func(i int) []any) {
		const per = 400
		for start := 0; start < rows; start += per {
			var batch []any
			q := sql
			for i := start; i < min(start+per, rows); i++ {
				if i > start {
					q += ","
				}
				q += sqlTuple(len(args(i)))
				batch = append(batch, args(i)...)
			}
			if err := db.W.Exec(q, batch...).Error; err != nil {
				b.Fatal(err)
			}
		}
	}
	seed(`INSERT INTO users (id, email, name, department, roles, created_at, updated_at) VALUES `, people, func(i int) []any {
		id := fmt.Sprintf("u%06d", i)
		return []any{id, id + "@example.com", "Person " + id, "Marketing", "learner", now, now}
	})
	seed(`INSERT INTO assignments (id, user_id, module, due_at, assigned_at, grace_days) VALUES `, people, func(i int) []any {
		id := fmt.Sprintf("u%06d", i)
		return []any{"a1-" + id, id, "ai-basics", now.Add(20 * 24 * time.Hour), now.Add(-time.Hour), 0}
	})
	seed(`INSERT INTO assignments (id, user_id, module, due_at, assigned_at, grace_days) VALUES `, people, func(i int) []any {
		id := fmt.Sprintf("u%06d", i)
		return []any{"a2-" + id, id, "privacy", now.Add(2 * 24 * time.Hour), now.Add(-30 * 24 * time.Hour), 0}
	})
	svc := notify.New(db, cat, notify.Options{})
	b.ResetTimer()
	for i := range b.N {
		day := now.Add(time.Duration(i) * 24 * time.Hour)
		start := time.Now()
		digests, err := svc.Plan(context.Background(), day)
		if err != nil {
			b.Fatal(err)
		}
		planned := time.Since(start)
		n, err := svc.Enqueue(context.Background(), day, digests)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 && n != people {
			b.Fatalf("queued %d digests, want %d", n, people)
		}
		b.ReportMetric(planned.Seconds(), "plan-s")
	}
}

func sqlTuple(n int) string {
	s := "("
	for i := range n {
		if i > 0 {
			s += ","
		}
		s += "?"
	}
	return s + ")"
}
