package reports

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/store"
)

// The benchmark exports a synthetic company as CSV: every user is
// assigned all benchModules modules, has completed three lessons of five
// of them, and holds a record (one valid, one expired) for two. It reports
// rows per second and peak memory two ways: HeapInuse sampled during the
// export in this process, and VmHWM (peak resident set) of a child process
// that does nothing but the export. Peak memory must stay flat from 100k
// to 2M rows.
//
//	go test ./internal/reports/ -run '^$' -bench BenchmarkCompletionsCSV -benchtime 1x -timeout 30m

const (
	benchModules   = 20
	envChildDB     = "UPSKILL_REPORTS_BENCH_DB"
	childResultTag = "report-child:"
)

func benchCatalog() assignments.StaticCatalog {
	cat := assignments.StaticCatalog{}
	for k := range benchModules {
		slug := fmt.Sprintf("module-%02d", k)
		cat[slug] = assignments.ModuleInfo{Slug: slug, Title: fmt.Sprintf("Module %d", k), Revision: 1,
			Lessons: []string{"l1", "l2", "l3", "l4", "l5"}, HasQuiz: true}
	}
	return cat
}

func BenchmarkCompletionsCSV(b *testing.B) {
	for _, users := range []int{5_000, 100_000} {
		rows := users * benchModules
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			b.StopTimer()
			path := seedBench(b, users)
			db, err := store.Open(context.Background(), path, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			s := New(db, Options{Catalog: benchCatalog(), Now: func() time.Time { return now }})
			runtime.GC()
			var total time.Duration
			var peak uint64
			for range b.N {
				var n int
				var elapsed time.Duration
				peak = max(peak, sampleHeap(func() {
					start := time.Now()
					b.StartTimer()
					n, err = s.ExportCompletions(context.Background(), "", Query{}, CSV, io.Discard, nil)
					b.StopTimer()
					elapsed = time.Since(start)
				}))
				if err != nil {
					b.Fatal(err)
				}
				if n != rows {
					b.Fatalf("exported %d rows, want %d", n, rows)
				}
				total += elapsed
			}
			child := runChild(b, path)
			b.ReportMetric(float64(rows)*float64(b.N)/total.Seconds(), "rows/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-inuse-MiB")
			b.ReportMetric(float64(child)/1024, "child-VmHWM-MiB")
			b.Logf("%d rows: %.0f rows/s, peak HeapInuse %.1f MiB, child VmHWM %.1f MiB",
				rows, float64(rows)*float64(b.N)/total.Seconds(), float64(peak)/(1<<20), float64(child)/1024)
		})
	}
}

// sampleHeap runs fn while sampling HeapInuse and returns the peak.
func sampleHeap(fn func()) uint64 {
	var peak atomic.Uint64
	read := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peak.Load() {
			peak.Store(ms.HeapInuse)
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	read()
	return peak.Load()
}

// runChild exports the database at path in a child process (this test
// binary, running TestCompletionsExportChild) and returns its VmHWM in KiB.
func runChild(b *testing.B, path string) int64 {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCompletionsExportChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChildDB+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("child export: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), childResultTag); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return kb
			}
		}
	}
	b.Fatalf("child printed no result:\n%s", out)
	return 0
}

// TestCompletionsExportChild is the child process of the benchmark; it
// does nothing unless the benchmark starts it.
func TestCompletionsExportChild(t *testing.T) {
	path := os.Getenv(envChildDB)
	if path == "" {
		t.Skip("run by BenchmarkCompletionsCSV only")
	}
	db, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(db, Options{Catalog: benchCatalog(), Now: func() time.Time { return now }})
	if _, err := s.ExportCompletions(context.Background(), "", Query{}, CSV, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%s %d\n", childResultTag, vmHWM(t))
}

// vmHWM is this process's peak resident set size in KiB.
func vmHWM(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// seedBench creates a migrated SQLite file holding the synthetic company,
// with bulk INSERT … SELECT statements.
func seedBench(b *testing.B, users int) string {
	dir, err := os.MkdirTemp("", "upskill-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "bench.db")
	db, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	past, future := now.AddDate(0, -1, 0), now.AddDate(0, 1, 0)
	mods := make([]string, 0, benchModules)
	for k := range benchModules {
		mods = append(mods, fmt.Sprintf("('module-%02d', %d)", k, k))
	}
	steps := []struct {
		sql  string
		args []any
	}{
		{`CREATE TABLE bench_mods (slug TEXT, k INTEGER)`, nil},
		{`INSERT INTO bench_mods VALUES ` + strings.Join(mods, ", "), nil},
		{`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO users (id, email, name, department, employee_id, roles, created_at, updated_at)
		SELECT printf('%08x-user', (i * 2654435761) % 4294967296), printf('person%d@example.com', i), printf('Person %d', i),
			'Department ' || (i % 40), printf('E%07d', i), 'learner', ?, ? FROM n`, []any{users, now, now}},
		{`INSERT INTO assignments (id, user_id, module, due_at, assigned_at, grace_days)
		SELECT u.id || '/' || m.slug, u.id, m.slug, CASE WHEN m.k % 2 = 0 THEN ? ELSE ? END, ?, 7
		FROM users u CROSS JOIN bench_mods m`, []any{past, future, past.AddDate(0, -1, 0)}},
		{`INSERT INTO enrollments (user_id, module, revision, enrolled_at, updated_at)
		SELECT u.id, m.slug, 1, ?, ? FROM users u CROSS JOIN bench_mods m WHERE m.k < 5`, []any{past, past}},
		{`INSERT INTO lesson_progress (user_id, module, lesson, seconds_spent, completed_at, updated_at)
		SELECT e.user_id, e.module, l.column1, 300, ?, ? FROM enrollments e CROSS JOIN (VALUES ('l1'), ('l2'), ('l3')) l`, []any{past, past}},
		{`INSERT INTO attempts (id, user_id, module, revision, cycle, number, questions, pass_mark, reveal, started_at, submitted_at, score, passed)
		SELECT e.user_id || '/' || e.module, e.user_id, e.module, 1, 0, 1, '[]', 80, 'after_submit', ?, ?, 90, 1
		FROM enrollments e JOIN bench_mods m ON m.slug = e.module WHERE m.k < 2`, []any{past, past}},
		{`INSERT INTO records (id, user_id, module, module_title, revision, content_hash, cycle, score, holder_name, issued_at, expires_at, credential)
		SELECT e.user_id || '/' || e.module, e.user_id, e.module, 'Module', 1, 'hash', 0, 90, 'Person', ?,
			CASE WHEN m.k = 0 THEN ? ELSE ? END, 'jws'
		FROM enrollments e JOIN bench_mods m ON m.slug = e.module WHERE m.k < 2`, []any{past, future, now.AddDate(0, 0, -1)}},
	}
	for _, st := range steps {
		if err := db.W.Exec(st.sql, st.args...).Error; err != nil {
			b.Fatalf("seed: %v\n%s", err, st.sql)
		}
	}
	b.Logf("seeded %d users × %d modules in %s", users, benchModules, time.Since(start).Round(time.Millisecond))
	return path
}
