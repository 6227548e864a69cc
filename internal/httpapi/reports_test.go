package httpapi

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/reports"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// reportRows reads a CSV report into maps by column, checking the header.
func reportRows(t *testing.T, res *apitest.Response) []map[string]string {
	t.Helper()
	body, ok := bytes.CutPrefix(res.Body, []byte(reports.UTF8BOM))
	if !ok {
		t.Fatalf("CSV does not start with a UTF-8 BOM (Excel needs it)")
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, res.Body)
	}
	if !slices.Equal(recs[0], reports.Columns) {
		t.Fatalf("header = %v", recs[0])
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func rowOf(t *testing.T, rows []map[string]string, email, module string) map[string]string {
	t.Helper()
	for _, r := range rows {
		if r["email"] == email && r["module"] == module {
			return r
		}
	}
	t.Fatalf("no row for %s %s", email, module)
	return nil
}

func itoa(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

// The report and the learner's own progress are two views of the same
// facts: for every learner, whatever they did, the report's status,
// progress, best score and attempts are what GET /progress says.
func TestCompletionsReportAgreesWithProgress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		trainer, _ := e.as(identity.RoleTrainer)
		trainer.Put("/api/v1/modules/fair-ai", course("Fair AI", "valid_for: 30d", "pass_mark: 60")).Want(t, http.StatusCreated)
		trainer.Put("/api/v1/modules/privacy", course("Privacy")).Want(t, http.StatusCreated)
		_, hrUser := e.as(identity.RoleHR)
		_, adminUser := e.as(identity.RoleAdmin)
		people := map[string]identity.User{}
		for _, who := range []string{"ann", "bob", "cat", "dan", "eve", "fay"} {
			dept := "Brand"
			if who >= "d" {
				dept = "Performance"
			}
			people[who] = e.userIn(dept)
		}
		as := func(u identity.User) *apitest.Client { return e.c.As(e.token(u)) }
		start := e.clock.Now()
		as(hrUser).Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "departments": []string{"Brand", "Performance"},
			"due_at": rfc(start.AddDate(0, 0, 7)), "grace_days": 30}).Want(t, http.StatusCreated)

		// ann: completed. bob: one lesson. cat: failed the quiz once. dan:
		// nothing. eve: completed, then revoked. fay: completed, and it will
		// have expired. Everyone but ann also reads privacy (unassigned).
		complete(t, as(people["ann"]), "fair-ai")
		as(people["bob"]).Put("/api/v1/modules/fair-ai/lessons/intro/progress", map[string]any{"completed": true, "seconds_spent": 600}).Want(t, http.StatusOK)
		finishLessons(t, as(people["cat"]), "fair-ai")
		var a attemptBody
		as(people["cat"]).Post("/api/v1/modules/fair-ai/attempts", nil).Want(t, http.StatusCreated).Decode(t, &a)
		as(people["cat"]).Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(false)).Want(t, http.StatusOK)
		eveRec := complete(t, as(people["eve"]), "fair-ai").Completion
		as(people["fay"]).Put("/api/v1/modules/privacy/lessons/intro/progress", map[string]any{"completed": true}).Want(t, http.StatusOK)
		e.clock.Advance(-40 * 24 * time.Hour) // fay completed 40 days ago
		complete(t, as(people["fay"]), "fair-ai")
		e.clock.Advance(40 * 24 * time.Hour)
		as(adminUser).Post("/api/v1/records/"+eveRec.ID+"/revoke", map[string]any{"reason": "test"}).Want(t, http.StatusOK)
		e.clock.Advance(10 * 24 * time.Hour) // past the due date

		res := as(hrUser).Get("/api/v1/reports/completions?format=csv").Want(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if cd := res.Header.Get("Content-Disposition"); cd != "attachment; filename=completions-2026-03-12.csv" {
			t.Errorf("Content-Disposition = %q", cd)
		}
		rows := reportRows(t, res)
		if len(rows) != 7 { // six fair-ai assignees, plus fay's privacy
			t.Fatalf("%d rows: %v", len(rows), rows)
		}
		wantStatus := map[string]string{"ann": "completed", "bob": "in_progress", "cat": "in_progress", "dan": "not_started",
			"eve": "in_progress", "fay": "expired"}
		for who, u := range people {
			r := rowOf(t, rows, u.Email, "fair-ai")
			p := progressOf(t, as(u).Get("/api/v1/modules/fair-ai/progress").Want(t, http.StatusOK))
			if r["status"] != p.Status || r["status"] != wantStatus[who] || r["progress_percent"] != strconv.Itoa(p.Percent) ||
				r["best_score"] != itoa(p.BestScore) || r["attempts"] != strconv.Itoa(p.AttemptsUsed) {
				t.Errorf("%s: report %v\nprogress %+v", who, r, p)
			}
			wantOverdue := who != "ann" && who != "fay" // fay is due again at expiry + 30 days, still ahead
			if r["overdue"] != strconv.FormatBool(wantOverdue) {
				t.Errorf("%s: overdue = %s", who, r["overdue"])
			}
			if r["department"] != u.Department || r["name"] != u.Name || r["employee_id"] != *u.EmployeeID ||
				r["module_title"] != "Fair AI" || r["assigned_at"] != rfc(start) {
				t.Errorf("%s: row %v", who, r)
			}
		}
		fay := rowOf(t, rows, people["fay"].Email, "fair-ai")
		expires, _ := time.Parse(time.RFC3339, fay["expires_at"])
		if fay["record_id"] == "" || fay["due_at"] != rfc(expires.AddDate(0, 0, 30)) {
			t.Errorf("fay: %v", fay)
		}
		if eve := rowOf(t, rows, people["eve"].Email, "fair-ai"); eve["record_id"] != "" || eve["completed_at"] != "" {
			t.Errorf("a revoked record still shows: %v", eve)
		}
		if p := rowOf(t, rows, people["fay"].Email, "privacy"); p["status"] != "in_progress" || p["progress_percent"] != "25" ||
			p["assigned_at"] != "" || p["due_at"] != "" || p["overdue"] != "false" {
			t.Errorf("fay's privacy: %v", p)
		}

		// The same rows in JSON and XLSX.
		res = as(hrUser).Get("/api/v1/reports/completions?format=json&department=Brand").Want(t, http.StatusOK)
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
			!strings.HasSuffix(res.Header.Get("Content-Disposition"), ".json") {
			t.Errorf("JSON headers = %v", res.Header)
		}
		var doc struct{ Items []map[string]any }
		res.Decode(t, &doc)
		if len(doc.Items) != 3 {
			t.Errorf("Brand JSON rows = %d", len(doc.Items))
		}
		res = as(hrUser).Get("/api/v1/reports/completions?format=xlsx&status=overdue").Want(t, http.StatusOK)
		if res.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Errorf("XLSX Content-Type = %q", res.Header.Get("Content-Type"))
		}
		f, err := excelize.OpenReader(bytes.NewReader(res.Body))
		if err != nil {
			t.Fatal(err)
		}
		xrows, _ := f.GetRows("Completions")
		f.Close()
		if len(xrows) != 5 { // header + bob, cat, dan, eve
			t.Errorf("overdue XLSX rows = %d", len(xrows))
		}
		// A repeated status matches any of its values, as a comma-separated
		// one does, rather than silently keeping only the first.
		rows = reportRows(t, as(hrUser).Get("/api/v1/reports/completions?status=completed&status=expired").Want(t, http.StatusOK))
		if len(rows) != 2 || rows[0]["status"] == rows[1]["status"] {
			t.Errorf("status=completed&status=expired: %v", rows)
		}

		// The summary agrees with the report's rows.
		var sum struct {
			Groups []map[string]any `json:"groups"`
		}
		as(hrUser).Get("/api/v1/reports/summary?group_by=module").Want(t, http.StatusOK).Decode(t, &sum)
		if len(sum.Groups) != 2 || sum.Groups[0]["key"] != "fair-ai" {
			t.Fatalf("summary = %+v", sum)
		}
		g := sum.Groups[0]
		// 6 pairs: all assigned; started: all but dan; completed: ann;
		// overdue: bob, cat, dan, eve; best scores: ann 100, cat's failed
		// attempt; fay's expired cycle has none, eve's revoked one neither.
		if g["assigned"] != 6.0 || g["started"] != 5.0 || g["completed"] != 1.0 || g["overdue"] != 4.0 ||
			g["completion_rate"] != 0.1667 {
			t.Errorf("fair-ai summary = %v", g)
		}
		if n := countAudit(t, e, audit.ReportExported); n != 5 {
			t.Errorf("%d report events, want 5", n)
		}
	})
}

func TestCompletionsReportBadParameters(t *testing.T) {
	e := newTestEnv(t)
	c, _ := e.as(identity.RoleHR)
	for _, tc := range []struct {
		query  string
		status int
		field  string
	}{
		{"format=pdf", 400, "format"},
		{"status=finished", 400, "status"},
		{"from=last-week", 400, "from"},
		{"to=2026-02-30", 400, "to"},
		{"module=nope", 422, "module"},
		{"from=2026-03-01&to=2026-01-01", 422, "to"},
	} {
		res := c.Get("/api/v1/reports/completions?"+tc.query).Want(t, tc.status)
		errs, _ := res.Map(t)["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["field"] != tc.field {
			t.Errorf("%s: %s", tc.query, res.Body)
		}
	}
	c.Get("/api/v1/reports/summary").Want(t, http.StatusBadRequest)
	c.Get("/api/v1/reports/summary?group_by=team").Want(t, http.StatusBadRequest)
	// An empty report is a header and no rows.
	if body := string(c.Get("/api/v1/reports/completions").Want(t, http.StatusOK).Body); body != reports.UTF8BOM+strings.Join(reports.Columns, ",")+"\n" {
		t.Errorf("empty report = %q", body)
	}
}

// Names and departments that start like a formula come out as text.
func TestCompletionsReportNeutralisesFormulas(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fair-ai", "Fair AI")
	hrC, _ := e.as(identity.RoleHR)
	var ids []string
	for i, ch := range []string{"=", "+", "-", "@"} {
		u := hrC.Post("/api/v1/users", map[string]any{"email": "x" + strconv.Itoa(i) + "@example.com",
			"name": ch + "HYPERLINK(\"http://evil.example\",\"x\")", "department": ch + "1+1", "employee_id": ch + "E" + strconv.Itoa(i)}).
			Want(t, http.StatusCreated).Map(t)
		ids = append(ids, u["id"].(string))
	}
	hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": ids, "due_at": rfc(e.clock.Now())}).Want(t, http.StatusCreated)
	rows := reportRows(t, hrC.Get("/api/v1/reports/completions").Want(t, http.StatusOK))
	res := hrC.Get("/api/v1/reports/completions?format=xlsx").Want(t, http.StatusOK)
	f, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	xrows, _ := f.GetRows("Completions")
	if len(rows) != 4 || len(xrows) != 5 {
		t.Fatalf("%d CSV rows, %d XLSX rows", len(rows), len(xrows))
	}
	for i, r := range rows {
		for _, col := range []string{"name", "department", "employee_id"} {
			x := xrows[i+1][slices.Index(reports.Columns, col)]
			if !strings.HasPrefix(r[col], "'") || x != r[col] {
				t.Errorf("%s: CSV %q, XLSX %q", col, r[col], x)
			}
		}
	}
	// The department filter takes the stored name, not the neutralised one.
	if n := len(reportRows(t, hrC.Get("/api/v1/reports/completions?department=%3D1%2B1").Want(t, http.StatusOK))); n != 1 {
		t.Errorf("department =1+1: %d rows", n)
	}
}

// People whose accounts are disabled (they left the company) drop out of
// the report instead of staying overdue for ever.
func TestCompletionsReportLeavesOutDisabledPeople(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fair-ai", "Fair AI")
	hrC, _ := e.as(identity.RoleHR)
	adminC, _ := e.as(identity.RoleAdmin)
	stays, leaves := e.userIn("Brand"), e.userIn("Brand")
	hrC.Post("/api/v1/assignments", map[string]any{"module": "fair-ai", "user_ids": []string{stays.ID, leaves.ID},
		"due_at": rfc(e.clock.Now())}).Want(t, http.StatusCreated)
	if n := len(reportRows(t, hrC.Get("/api/v1/reports/completions").Want(t, http.StatusOK))); n != 2 {
		t.Fatalf("before: %d rows", n)
	}
	adminC.Patch("/api/v1/users/"+leaves.ID, map[string]any{"disabled": true}).Want(t, http.StatusOK)
	rows := reportRows(t, hrC.Get("/api/v1/reports/completions").Want(t, http.StatusOK))
	if len(rows) != 1 || rows[0]["email"] != stays.Email {
		t.Fatalf("after disabling: %v", rows)
	}
}
