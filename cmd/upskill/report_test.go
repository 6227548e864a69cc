package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/upskill/upskill/internal/store"
)

// openData opens the database of a test environment directly.
func openData(t *testing.T, getenv func(string) string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(getenv("UPSKILL_DATA_DIR"), "upskill.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestReportCompletionsCommand(t *testing.T) {
	env := migratedEnv(t)
	dir := t.TempDir()
	writeFiles(t, dir, goodModule("ai-basics", "AI Basics"))
	if code, out, errs := runCLI(t, env, "content", "import", dir); code != 0 {
		t.Fatalf("content import: %d %s %s", code, out, errs)
	}
	// A standing rule for Brand, as POST /assignments with
	// include_new_members makes: the command-line import must honour it.
	db := openData(t, env)
	if err := db.W.Exec(`INSERT INTO assignment_rules (id, department, module, due_in_days, grace_days, created_at)
		VALUES ('rule-1', 'Brand', 'ai-basics', 30, 0, ?)`, time.Now().UTC()).Error; err != nil {
		t.Fatal(err)
	}
	staff := filepath.Join(t.TempDir(), "staff.csv")
	os.WriteFile(staff, []byte("email,name,department,employee_id\nann@example.com,=Ann Archer,Brand,E1\nbob@example.com,Bob,Legal,E2\n"), 0o600)
	if code, out, errs := runCLI(t, env, "users", "import", staff); code != 0 {
		t.Fatalf("users import: %d %s %s", code, out, errs)
	}

	code, out, errs := runCLI(t, env, "report", "completions", "--format", "csv")
	if code != 0 {
		t.Fatalf("report: %d %s", code, errs)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 || !strings.HasPrefix(out, "\ufeff") {
		t.Fatalf("CSV (%v):\n%s", err, out)
	}
	row := recs[1]
	if strings.Join(recs[0], ",") != "employee_id,email,name,department,module,module_title,revision,status,progress_percent,best_score,attempts,assigned_at,due_at,overdue,completed_at,record_id,expires_at,path" ||
		row[0] != "E1" || row[2] != "'=Ann Archer" || row[4] != "ai-basics" || row[5] != "AI Basics" || row[7] != "not_started" || row[13] != "false" {
		t.Errorf("report:\n%s", out)
	}
	assigned, _ := time.Parse(time.RFC3339, row[11])
	due, _ := time.Parse(time.RFC3339, row[12])
	if got := due.Sub(assigned); got != 30*24*time.Hour {
		t.Errorf("due %s after assignment, want 30 days", got)
	}

	code, out, _ = runCLI(t, env, "report", "completions", "--format", "json", "--department", "Brand", "--status", "not_started")
	var doc struct{ Items []map[string]any }
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Items) != 1 || doc.Items[0]["name"] != "=Ann Archer" {
		t.Errorf("JSON report: %d %s", code, out)
	}
	code, out, _ = runCLI(t, env, "report", "completions", "--format", "xlsx")
	f, err := excelize.OpenReader(bytes.NewReader([]byte(out)))
	if code != 0 || err != nil {
		t.Fatalf("XLSX report: %d %v", code, err)
	}
	rows, _ := f.GetRows("Completions")
	f.Close()
	if len(rows) != 2 || rows[1][2] != "'=Ann Archer" {
		t.Errorf("XLSX rows = %q", rows)
	}
	if code, out, _ := runCLI(t, env, "report", "completions", "--status", "overdue"); code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("overdue report: %d %q", code, out)
	}

	for _, bad := range [][]string{{"--format", "pdf"}, {"--module", "nope"}, {"--from", "soon"}} {
		code, _, errs := runCLI(t, env, append([]string{"report", "completions"}, bad...)...)
		if code != 2 || !strings.Contains(errs, strings.TrimPrefix(bad[0], "--")) {
			t.Errorf("%v: exit %d, stderr %s", bad, code, errs)
		}
	}
	if code, _, _ := runCLI(t, env, "report"); code != 2 {
		t.Errorf("report without a subcommand: exit %d", code)
	}
	var n int64
	db.R.Raw("SELECT COUNT(*) FROM audit_events WHERE action = 'report.exported' AND actor_id IS NULL").Scan(&n)
	if n != 4 {
		t.Errorf("%d audited exports with no actor, want 4", n)
	}
}
