package readiness

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/store"
)

// The benchmarks compute the readiness report (one pulse of seven
// statements, grouped by department) and a twelve-week adoption report
// for a synthetic company of 100,000 people in 40 departments on SQLite:
// 80% answered before, 60% after (about 980,000 answers), two module
// records, three lessons' progress, one rating and two assignments each.
//
//	go test ./internal/readiness/ -run '^$' -bench . -benchtime 3x -timeout 30m
//
// Each reports ms/report (wall clock) and cpu-ms/report (the process's CPU
// time, which a busy machine inflates less).

var benchNow = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

const benchPeople = 100_000

func seedCompany(b *testing.B, people int) *store.DB {
	b.Helper()
	dir, err := os.MkdirTemp("", "upskill-readiness-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchDB.dir = dir // removed by TestMain
	db, err := store.Open(context.Background(), filepath.Join(dir, "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	pulse := "---\ntitle: Readiness\nfor: [module-00]\n---\n\n## One {#s1}\n\n## Two {#s2}\n\n## Three {#s3}\n\n## Four {#s4}\n\n## Five {#s5}\n\n## Six {#s6}\n\n## Seven {#s7}\n"
	// Times as SQLite's driver writes them, days before benchNow.
	day := `strftime('%Y-%m-%d %H:%M:%S+00:00', ?, printf('-%d days', `
	steps := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO content_docs (kind, slug, revision, content_hash, source, published_at) VALUES ('pulse', 'readiness', 1, 'h', ?, ?)`, []any{pulse, benchNow}},
		{`CREATE TABLE bench_items (item TEXT)`, nil},
		{`INSERT INTO bench_items VALUES ('s1'), ('s2'), ('s3'), ('s4'), ('s5'), ('s6'), ('s7')`, nil},
		{`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO users (id, email, name, department, employee_id, roles, created_at, updated_at)
		SELECT printf('%08d-user', i), printf('person%d@example.com', i), printf('Person %d', i),
			'Department ' || (i % 40), printf('E%07d', i), 'learner', ?, ? FROM n`, []any{people, benchNow, benchNow}},
		{`INSERT INTO pulse_answers (user_id, pulse, phase, item, value, revision, answered_at)
		SELECT u.id, 'readiness', 'before', b.item, 1 + (CAST(substr(u.id, 1, 8) AS INTEGER) + length(b.item) * 7) % 5, 1,
			` + day + `60 + CAST(substr(u.id, 1, 8) AS INTEGER) % 24))
		FROM users u CROSS JOIN bench_items b WHERE CAST(substr(u.id, 1, 8) AS INTEGER) % 10 < 8`, []any{benchNow}},
		{`INSERT INTO pulse_answers (user_id, pulse, phase, item, value, revision, answered_at)
		SELECT u.id, 'readiness', 'after', b.item, 1 + (CAST(substr(u.id, 1, 8) AS INTEGER) + length(b.item) * 3 + 2) % 5, 1,
			` + day + `CAST(substr(u.id, 1, 8) AS INTEGER) % 60))
		FROM users u CROSS JOIN bench_items b WHERE CAST(substr(u.id, 1, 8) AS INTEGER) % 10 < 6`, []any{benchNow}},
		{`INSERT INTO records (id, user_id, module, module_title, revision, content_hash, cycle, holder_name, issued_at, credential)
		SELECT u.id || '/' || m.column1, u.id, m.column1, 'Module', 1, 'hash', 0, u.name,
			` + day + `CAST(substr(u.id, 1, 8) AS INTEGER) % 84)), 'jws'
		FROM users u CROSS JOIN (VALUES ('module-00'), ('module-01')) m`, []any{benchNow}},
		{`INSERT INTO lesson_progress (user_id, module, lesson, seconds_spent, completed_at, updated_at)
		SELECT u.id, 'module-00', l.column1, 300, NULL, ` + day + `CAST(substr(u.id, 1, 8) AS INTEGER) % 84))
		FROM users u CROSS JOIN (VALUES ('l1'), ('l2'), ('l3')) l`, []any{benchNow}},
		{`INSERT INTO feedback (user_id, module, revision, rating, comment, created_at, updated_at)
		SELECT u.id, 'module-00', 1, 1 + CAST(substr(u.id, 1, 8) AS INTEGER) % 5, '', ?,
			` + day + `CAST(substr(u.id, 1, 8) AS INTEGER) % 84)) FROM users u`, []any{benchNow, benchNow}},
		{`INSERT INTO assignments (id, user_id, module, due_at, assigned_at, grace_days)
		SELECT u.id || '/' || m.column1, u.id, m.column1, ` + day + `CAST(substr(u.id, 1, 8) AS INTEGER) % 70)), ?, 0
		FROM users u CROSS JOIN (VALUES ('module-02'), ('module-03')) m`, []any{benchNow, benchNow.AddDate(0, -4, 0)}},
	}
	for _, st := range steps {
		if err := db.W.Exec(st.sql, st.args...).Error; err != nil {
			b.Fatalf("seed: %v\n%s", err, st.sql)
		}
	}
	var answers int64
	db.R.Table("pulse_answers").Count(&answers)
	b.Logf("seeded %d people, %d answers in %s", people, answers, time.Since(start).Round(time.Millisecond))
	return db
}

// benchDB is seeded once for both benchmarks (it takes longer than they do).
var benchDB struct {
	once sync.Once
	db   *store.DB
	dir  string
}

func company(b *testing.B) *store.DB {
	benchDB.once.Do(func() { benchDB.db = seedCompany(b, benchPeople) })
	if benchDB.db == nil {
		b.Fatal("seeding failed")
	}
	return benchDB.db
}

func BenchmarkReadinessReport(b *testing.B) {
	db := company(b)
	s := New(db, func() time.Time { return benchNow })
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		r, err := s.Readiness(context.Background(), "readiness", "department")
		if err != nil {
			b.Fatal(err)
		}
		if r.Total.RespondentsBefore != benchPeople*8/10 || len(r.Groups) != 32 {
			b.Fatalf("total %+v, %d groups", r.Total.RespondentsBefore, len(r.Groups))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/report")
}

func BenchmarkAdoptionReport(b *testing.B) {
	db := company(b)
	s := New(db, func() time.Time { return benchNow })
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		a, err := s.Adoption(context.Background(), time.Time{}, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		if len(a.Rows) != 40*12 {
			b.Fatalf("%d rows", len(a.Rows))
		}
		done := 0
		for _, r := range a.Rows {
			done += r.Completions
		}
		if done == 0 {
			b.Fatal("no completions counted")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/report")
}

// cpuTime is the CPU time this process used so far (user and system): on
// a shared machine it says what a report costs better than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestMain removes the benchmarks' database once every benchmark ran.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchDB.db != nil {
		benchDB.db.Close()
	}
	if benchDB.dir != "" {
		os.RemoveAll(benchDB.dir)
	}
	os.Exit(code)
}
