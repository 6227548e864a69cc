package reports

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/store"
)

// Row is one line of the completions report: one (user, module) pair that
// is assigned or started. Nil pointers are empty cells.
type Row struct {
	EmployeeID      *string
	Email           string
	Name            string
	Department      string
	Module          string
	ModuleTitle     string
	Revision        *int // of the record when there is one, else the revision the learner is on
	Status          string
	ProgressPercent int
	BestScore       *int // of the current certification cycle, as ModuleProgress shows it
	Attempts        int  // of the current certification cycle
	AssignedAt      *time.Time
	DueAt           *time.Time // effective: the recertification date after an expired record
	Overdue         bool
	CompletedAt     *time.Time // issued_at of the newest unrevoked record, valid or expired
	RecordID        *string
	ExpiresAt       *time.Time
	Path            *string // the learning path the assignment came from; nil when assigned directly or not assigned

	// Not columns of the report: the summary uses them, and Pos is the
	// row's place in the report's order, which a page's cursor names.
	Pos          Position
	Assigned     bool
	Started      bool
	SecondsSpent int64
}

// Columns are the report's columns, in order.
var Columns = []string{"employee_id", "email", "name", "department", "module", "module_title", "revision",
	"status", "progress_percent", "best_score", "attempts", "assigned_at", "due_at", "overdue",
	"completed_at", "record_id", "expires_at", "path"}

// The report is one query: every user crossed with the published modules
// (a JSON list, so the catalog in memory names them), kept when the pair
// is assigned or enrolled, with the Facts of assignments and a few more
// correlated lookups on the learning tables' (user_id, module, ...) keys.
// Users are walked in the report's order (users_report_order), so nothing
// is sorted but the few modules of one user. Every learner activity begins with an enrollment (internal/learning
// enrols on the first progress or attempt), so enrolled-or-assigned finds
// every started pair.
//
// quizFigures packs three aggregates of one cycle's attempts into one
// integer, so one index range scan gives them all:
// count*10000 + (best score + 1)*10 + (1 if any passed). Scores are whole
// percents (0..100), so the parts cannot overlap; unpackQuiz reads it.
const quizFigures = `SELECT COUNT(*) * 10000 + COALESCE(MAX(q.score) + 1, 0) * 10 + MAX(CASE WHEN q.passed THEN 1 ELSE 0 END)
	FROM attempts q WHERE q.user_id = {u} AND q.module = {m} AND q.cycle = {cycle}`

// The open cycle is the number of records issued so far (revoked and
// expired ones included); the record's cycle is the one that earned it.
const (
	openCycle   = `(SELECT COUNT(*) FROM records n WHERE n.user_id = {u} AND n.module = {m})`
	recordCycle = `fr.cycle`
)

// reportPair is the report's (user, module); pairs with no enrollment
// skip every lookup of learning rows.
var reportPair = assignments.Pair{User: "u.id", Module: "m.slug", Enrolled: "e.user_id IS NOT NULL"}

type quiz struct {
	attempts int
	best     *int
	passed   bool
}

func unpackQuiz(v sql.NullInt64) quiz {
	if !v.Valid {
		return quiz{}
	}
	q := quiz{attempts: int(v.Int64 / 10000), passed: v.Int64%10 == 1}
	if b := int(v.Int64%10000/10) - 1; b >= 0 {
		q.best = &b
	}
	return q
}

// plan is one run of the report query.
type plan struct {
	sql     string
	args    []any
	mods    map[string]assignments.ModuleInfo
	seconds bool
}

// buildPlan writes the query for q. With seconds it also sums the time
// spent on lessons, which only the summary needs. ok is false when no
// published module matches, so there is nothing to query. The catalog is
// bound as two JSON arrays, so the number of bound values does not grow
// with the number of modules or lessons.
func (s *Service) buildPlan(q Query, seconds bool) (p plan, ok bool) {
	p = plan{mods: s.catalog.Modules(), seconds: seconds}
	slugs := make([]string, 0, len(p.mods))
	for slug := range p.mods {
		if q.Module == "" || slug == q.Module {
			slugs = append(slugs, slug)
		}
	}
	if len(slugs) == 0 {
		return p, false
	}
	slices.Sort(slugs)
	var b strings.Builder
	p.args = s.writeCatalogCTEs(&b, slugs, p.mods)
	b.WriteString("\nSELECT u.employee_id, u.email, u.name, u.department, m.slug, e.revision,\n")
	b.WriteString("a.id, a.due_at, a.assigned_at, a.grace_days,\n")
	b.WriteString(reportPair.Columns() + ",\n")
	b.WriteString(reportPair.Lookup(`SELECT COUNT(*) FROM lesson_progress c WHERE c.user_id = {u} AND c.module = {m}
		AND c.completed_at IS NOT NULL AND c.module || '/' || c.lesson IN (SELECT lesson FROM cur)`) + ",\n")
	b.WriteString(reportPair.Lookup(strings.Replace(quizFigures, "{cycle}", recordCycle, 1)) + ",\n")
	b.WriteString(reportPair.Lookup(strings.Replace(quizFigures, "{cycle}", openCycle, 1)) + ",\n")
	b.WriteString("lower(u.department), lower(u.name), u.id, a.path")
	if seconds {
		b.WriteString(",\n" + reportPair.Lookup(`SELECT COALESCE(SUM(t.seconds_spent), 0) FROM lesson_progress t WHERE t.user_id = {u} AND t.module = {m}`))
	}
	b.WriteString(`
FROM users u CROSS JOIN mods m
LEFT JOIN assignments a ON a.user_id = u.id AND a.module = m.slug
LEFT JOIN enrollments e ON e.user_id = u.id AND e.module = m.slug
`)
	b.WriteString(reportPair.RecordJoin())
	// People whose accounts are disabled (they left) are not reported:
	// otherwise they would stay overdue for ever.
	b.WriteString("\nWHERE (a.id IS NOT NULL OR e.user_id IS NOT NULL) AND u.disabled = FALSE")
	if q.Department != "" {
		b.WriteString(" AND u.department = ?")
		p.args = append(p.args, q.Department)
	}
	p.args = append(p.args, s.writeOrder(&b, q.After)...)
	p.sql = b.String()
	return p, true
}

// writeOrder writes the spreadsheet order, lower(department), lower(name),
// user id, module, which users_report_order serves, and the keyset
// condition that continues after a page. PostgreSQL compares these texts
// bytewise ("C"), as SQLite does, so both databases agree.
func (s *Service) writeOrder(b *strings.Builder, after *Position) []any {
	c := ""
	if s.db.Dialect == store.Postgres {
		c = ` COLLATE "C"`
	}
	key := "lower(u.department)" + c + ", lower(u.name)" + c + ", u.id" + c + ", m.slug" + c
	var args []any
	if after != nil {
		b.WriteString("\nAND (" + key + ") > (?, ?, ?, ?)")
		args = []any{after.Department, after.Name, after.UserID, after.Module}
	}
	b.WriteString("\nORDER BY " + key)
	return args
}

// writeCatalogCTEs writes the catalog the query needs: mods(slug), the
// modules, and cur(lesson), holding "module/lesson" for each lesson of
// each current revision (slugs never contain "/"), one uncorrelated list
// the database builds once per run. Each is one array parameter (JSON
// on SQLite).
func (s *Service) writeCatalogCTEs(b *strings.Builder, slugs []string, mods map[string]assignments.ModuleInfo) []any {
	lessons := []string{}
	for _, slug := range slugs {
		for _, l := range mods[slug].Lessons {
			lessons = append(lessons, slug+"/"+l)
		}
	}
	if s.db.Dialect == store.Postgres {
		// An array rather than JSON: the planner sees how many elements a
		// bound array has, so it does not guess a costly plan (and JIT
		// compile it) for a few rows.
		b.WriteString(`WITH mods(slug) AS (SELECT unnest(CAST(? AS text[]))),
cur(lesson) AS (SELECT unnest(CAST(? AS text[])))`)
		return []any{pgArray(slugs), pgArray(lessons)}
	}
	modsJSON, _ := json.Marshal(slugs)
	curJSON, _ := json.Marshal(lessons)
	b.WriteString(`WITH mods(slug) AS (SELECT value FROM json_each(?)),
cur(lesson) AS (SELECT value FROM json_each(?))`)
	return []any{string(modsJSON), string(curJSON)}
}

// pgArray writes a PostgreSQL text array literal.
func pgArray(items []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

// source streams report rows that match a Query.
type source struct {
	rows *sql.Rows
	plan plan
	q    Query
	now  time.Time
	scan scanRow
	// Seen gets every pair the query read, kept or not, before filtering:
	// the summary counts time spent by learners the report leaves out.
	seen func(*Row)
}

// open runs the query; errors here come before any output.
func (s *Service) open(ctx context.Context, q Query, seconds bool) (*source, error) {
	src := &source{q: q, now: s.clock()}
	p, ok := s.buildPlan(q, seconds)
	src.plan = p
	if !ok {
		return src, nil
	}
	rows, err := s.db.R.WithContext(ctx).Raw(p.sql, p.args...).Rows()
	if err != nil {
		return nil, fault.Wrap(err, "could not run the report query")
	}
	src.rows = rows
	return src, nil
}

// Close releases the query.
func (src *source) Close() error {
	if src.rows == nil {
		return nil
	}
	return src.rows.Close()
}

// Next returns the next row that matches the query; ok is false at the end.
func (src *source) Next() (row Row, ok bool, err error) {
	if src.rows == nil {
		return Row{}, false, nil
	}
	for src.rows.Next() {
		if err := src.rows.Scan(src.scan.dest(src.plan.seconds)...); err != nil {
			return Row{}, false, fault.Wrap(err, "could not read a report row")
		}
		row, keep := src.scan.row(src.now, src.plan.mods)
		if src.seen != nil {
			src.seen(&row)
		}
		if keep && src.q.matches(&row) {
			return row, true, nil
		}
	}
	if err := src.rows.Err(); err != nil {
		return Row{}, false, fault.Wrap(err, "could not read the report rows")
	}
	return Row{}, false, nil
}

// matches applies the filters the query leaves to Go: status (decided by
// Assess) and the completion date.
func (q *Query) matches(r *Row) bool {
	if len(q.Statuses) > 0 && !slices.Contains(q.Statuses, r.Status) && !(r.Overdue && slices.Contains(q.Statuses, Overdue)) {
		return false
	}
	if q.From != nil || q.To != nil {
		if r.CompletedAt == nil {
			return false
		}
		if q.From != nil && r.CompletedAt.Before(*q.From) {
			return false
		}
		if q.To != nil && !r.CompletedAt.Before(*q.To) {
			return false
		}
	}
	return true
}

// scanRow receives one result row; it is reused, so a report allocates
// per row only what the Row keeps.
type scanRow struct {
	employeeID                sql.NullString
	email, name, dept, module string
	enrolledRevision          sql.NullInt64
	assignment                assignments.AssignmentScan
	facts                     assignments.FactsScan
	lessonsCurrent            int64
	quizRecord, quizOpen      sql.NullInt64
	pos                       Position // the row's place in the report order
	path                      sql.NullString
	seconds                   int64
}

func (r *scanRow) dest(seconds bool) []any {
	d := []any{&r.employeeID, &r.email, &r.name, &r.dept, &r.module, &r.enrolledRevision}
	d = append(d, r.assignment.Dest()...)
	d = append(d, r.facts.Dest()...)
	d = append(d, &r.lessonsCurrent, &r.quizRecord, &r.quizOpen, &r.pos.Department, &r.pos.Name, &r.pos.UserID, &r.path)
	if seconds {
		d = append(d, &r.seconds)
	}
	return d
}

// row judges the scanned pair; keep is false when it is neither assigned
// nor started.
func (r *scanRow) row(now time.Time, mods map[string]assignments.ModuleInfo) (Row, bool) {
	af := r.assignment.Facts()
	st := assignments.Assess(r.facts.Facts(af), now)
	info := mods[r.module]
	r.pos.Module = r.module
	out := Row{Email: r.email, Name: r.name, Department: r.dept, Module: r.module, ModuleTitle: info.Title, Pos: r.pos,
		Status: st.Status, DueAt: st.DueAt, Overdue: st.Overdue, AssignedAt: r.assignment.AssignedAtTime(),
		Assigned: af != nil, Started: st.Started, SecondsSpent: r.seconds}
	if out.ModuleTitle == "" {
		out.ModuleTitle = r.module
	}
	if r.employeeID.Valid {
		v := r.employeeID.String
		out.EmployeeID = &v
	}
	if r.path.Valid {
		v := r.path.String
		out.Path = &v
	}
	switch {
	case r.facts.RecordID.Valid:
		rev := int(r.facts.RecordRevision.Int64)
		out.Revision = &rev
	case r.enrolledRevision.Valid:
		rev := int(r.enrolledRevision.Int64)
		out.Revision = &rev
	}
	if r.facts.RecordID.Valid {
		id := r.facts.RecordID.String
		issued := r.facts.RecordIssuedAt.Time.UTC()
		out.RecordID, out.CompletedAt = &id, &issued
		if r.facts.RecordExpires.Valid {
			exp := r.facts.RecordExpires.Time.UTC()
			out.ExpiresAt = &exp
		}
	}
	// Quiz figures cover the current certification cycle, as ModuleProgress
	// does: the record's while it is valid, else the one now open.
	qz := unpackQuiz(r.quizOpen)
	if st.Status == assignments.Completed {
		qz = unpackQuiz(r.quizRecord)
	}
	out.Attempts, out.BestScore = qz.attempts, qz.best
	out.ProgressPercent = learning.ProgressPercent(int(r.lessonsCurrent), len(info.Lessons), info.HasQuiz, qz.passed)
	return out, af != nil || st.Started
}

// CompletionsSQL returns the whole company's completions query, as the
// CSV export runs it, and its bound values. The load harness hands it to
// the sqlite3 shell to measure what the database alone takes.
func (s *Service) CompletionsSQL() (string, []any) {
	p, _ := s.buildPlan(Query{}, false)
	return p.sql, p.args
}
