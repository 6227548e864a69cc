package reports

import (
	"testing"
	"time"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/store"
)

// now is the fixed clock of every report test.
var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func at(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

// testCatalog: AI Basics (revision 2, three lessons and a quiz: four
// steps) and Customer Data Privacy (revision 1, two lessons, no quiz).
var testCatalog = assignments.StaticCatalog{
	"ai-basics": {Slug: "ai-basics", Title: "AI Basics", Revision: 2, Lessons: []string{"intro", "tools", "limits"}, HasQuiz: true},
	"privacy":   {Slug: "privacy", Title: "Customer Data Privacy", Revision: 1, Lessons: []string{"consent", "security"}},
}

// company writes rows straight into the tables, so a test states exactly
// the facts it judges (timestamps included) without going through the
// learning service.
type company struct {
	t  testing.TB
	db *store.DB
}

func (c company) exec(sql string, args ...any) {
	c.t.Helper()
	if err := c.db.W.Exec(sql, args...).Error; err != nil {
		c.t.Fatalf("%s: %v", sql, err)
	}
}

func (c company) user(id, name, dept, employeeID string) {
	c.t.Helper()
	var emp any
	if employeeID != "" {
		emp = employeeID
	}
	c.exec(`INSERT INTO users (id, email, name, department, employee_id, roles, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 'learner', ?, ?)`, id, id+"@example.com", name, dept, emp, now, now)
}

func (c company) assign(user, module string, assigned, due time.Time, grace int) {
	c.t.Helper()
	c.exec(`INSERT INTO assignments (id, user_id, module, due_at, assigned_at, grace_days) VALUES (?, ?, ?, ?, ?, ?)`,
		"as-"+user+"-"+module, user, module, due, assigned, grace)
}

func (c company) enrol(user, module string, rev int) {
	c.t.Helper()
	c.exec(`INSERT INTO enrollments (user_id, module, revision, enrolled_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		user, module, rev, now, now)
}

// lessons marks lessons completed, ten minutes spent on each.
func (c company) lessons(user, module string, slugs ...string) {
	c.t.Helper()
	for _, l := range slugs {
		c.exec(`INSERT INTO lesson_progress (user_id, module, lesson, seconds_spent, completed_at, updated_at)
			VALUES (?, ?, ?, 600, ?, ?)`, user, module, l, now.AddDate(0, -1, 0), now)
	}
}

// reading records time on a lesson that is not completed.
func (c company) reading(user, module, lesson string, seconds int) {
	c.t.Helper()
	c.exec(`INSERT INTO lesson_progress (user_id, module, lesson, seconds_spent, updated_at) VALUES (?, ?, ?, ?, ?)`,
		user, module, lesson, seconds, now)
}

func (c company) attempt(user, module string, cycle, number, score int) {
	c.t.Helper()
	c.exec(`INSERT INTO attempts (id, user_id, module, revision, cycle, number, questions, pass_mark, reveal, started_at, submitted_at, score, passed)
		VALUES (?, ?, ?, 2, ?, ?, '[]', 80, 'after_submit', ?, ?, ?, ?)`, "at-"+user+"-"+module+"-"+string(rune('0'+cycle))+string(rune('0'+number)),
		user, module, cycle, number, now, now, score, score >= 80)
}

func (c company) record(id, user, module string, rev, cycle int, issued time.Time, expires *time.Time, revoked bool) {
	c.t.Helper()
	var rv any
	if revoked {
		rv = issued.AddDate(0, 0, 1)
	}
	c.exec(`INSERT INTO records (id, user_id, module, module_title, revision, content_hash, cycle, holder_name, issued_at, expires_at, revoked_at, credential)
		VALUES (?, ?, ?, 'title', ?, 'hash', ?, 'holder', ?, ?, ?, 'jws')`, id, user, module, rev, cycle, issued, expires, rv)
}

func ptr[T any](v T) *T { return &v }

// seedCompany builds the fixture company of the report tests. Users sort
// by id in the order below, which is the report's order.
//
//	u1 Ann  Brand        ai-basics assigned, all done, quiz 60 then 90, valid record       → completed
//	u2 Bob  Brand        ai-basics assigned, due 28 Feb, one lesson                        → in_progress, overdue
//	u3 Cat  Performance  ai-basics assigned, nothing done; privacy unassigned, one lesson   → not_started; in_progress
//	u4 Dan  Performance  ai-basics assigned (14 grace days), record expired 1 Mar          → expired, due again 15 Mar
//	u5 Eve  Brand        privacy assigned due 31 Dec, record expired 15 Jan (no grace)     → expired, overdue since 15 Jan
//	u6 Fay  Brand        ai-basics unassigned, record revoked                              → in_progress
//	u7 Gus  Brand        privacy enrolled, 30 minutes reading, nothing completed           → not in the report
//	u8 Hal  Brand        privacy unassigned, a lesson of an old revision completed         → in_progress, 0%
func seedCompany(t testing.TB, db *store.DB) {
	t.Helper()
	c := company{t, db}
	c.user("u1", "Ann Archer", "Brand", "E001")
	c.user("u2", "Bob Baker", "Brand", "E002")
	c.user("u3", "Cat Cole", "Performance", "E003")
	c.user("u4", "Dan Dorsey", "Performance", "")
	c.user("u5", "Eve Evans", "Brand", "E005")
	c.user("u6", "Fay Fox", "Brand", "E006")
	c.user("u7", "Gus Gray", "Brand", "E007")
	c.user("u8", "Hal Hill", "Brand", "E008")

	feb1 := at(2026, 2, 1, 9)
	c.assign("u1", "ai-basics", feb1, day(2026, 3, 10), 0)
	c.enrol("u1", "ai-basics", 2)
	c.lessons("u1", "ai-basics", "intro", "tools", "limits")
	c.attempt("u1", "ai-basics", 0, 1, 60)
	c.attempt("u1", "ai-basics", 0, 2, 90)
	c.record("rec-ann", "u1", "ai-basics", 2, 0, at(2026, 2, 20, 10), ptr(at(2027, 2, 20, 10)), false)

	c.assign("u2", "ai-basics", feb1, day(2026, 2, 28), 0)
	c.enrol("u2", "ai-basics", 2)
	c.lessons("u2", "ai-basics", "intro")

	c.assign("u3", "ai-basics", feb1, day(2026, 4, 1), 0)
	c.enrol("u3", "privacy", 1)
	c.lessons("u3", "privacy", "consent")

	c.assign("u4", "ai-basics", at(2025, 2, 1, 9), day(2025, 6, 1), 14)
	c.enrol("u4", "ai-basics", 1)
	c.lessons("u4", "ai-basics", "intro", "tools", "limits")
	c.attempt("u4", "ai-basics", 0, 1, 85)
	c.record("rec-dan", "u4", "ai-basics", 1, 0, at(2025, 3, 1, 10), ptr(at(2026, 3, 1, 10)), false)

	c.assign("u5", "privacy", at(2025, 1, 1, 9), day(2025, 12, 31), 0)
	c.enrol("u5", "privacy", 1)
	c.lessons("u5", "privacy", "consent", "security")
	c.record("rec-eve", "u5", "privacy", 1, 0, at(2025, 1, 15, 10), ptr(at(2026, 1, 15, 10)), false)

	c.enrol("u6", "ai-basics", 2)
	c.lessons("u6", "ai-basics", "intro", "tools", "limits")
	c.attempt("u6", "ai-basics", 0, 1, 80)
	c.record("rec-fay", "u6", "ai-basics", 2, 0, at(2026, 1, 10, 10), nil, true)

	c.enrol("u7", "privacy", 1)
	c.reading("u7", "privacy", "consent", 1800)

	c.enrol("u8", "privacy", 1)
	c.lessons("u8", "privacy", "old-consent")
}

// wantCSV is the whole report on the fixture company at now, worked out
// by hand from the Definitions (see seedCompany), in spreadsheet order:
// department, name, user, module.
const wantCSV = UTF8BOM + `employee_id,email,name,department,module,module_title,revision,status,progress_percent,best_score,attempts,assigned_at,due_at,overdue,completed_at,record_id,expires_at,path
E001,u1@example.com,Ann Archer,Brand,ai-basics,AI Basics,2,completed,100,90,2,2026-02-01T09:00:00Z,2026-03-10T00:00:00Z,false,2026-02-20T10:00:00Z,rec-ann,2027-02-20T10:00:00Z,
E002,u2@example.com,Bob Baker,Brand,ai-basics,AI Basics,2,in_progress,25,,0,2026-02-01T09:00:00Z,2026-02-28T00:00:00Z,true,,,,
E005,u5@example.com,Eve Evans,Brand,privacy,Customer Data Privacy,1,expired,100,,0,2025-01-01T09:00:00Z,2026-01-15T10:00:00Z,true,2025-01-15T10:00:00Z,rec-eve,2026-01-15T10:00:00Z,
E006,u6@example.com,Fay Fox,Brand,ai-basics,AI Basics,2,in_progress,75,,0,,,false,,,,
E008,u8@example.com,Hal Hill,Brand,privacy,Customer Data Privacy,1,in_progress,0,,0,,,false,,,,
E003,u3@example.com,Cat Cole,Performance,ai-basics,AI Basics,,not_started,0,,0,2026-02-01T09:00:00Z,2026-04-01T00:00:00Z,false,,,,
E003,u3@example.com,Cat Cole,Performance,privacy,Customer Data Privacy,1,in_progress,50,,0,,,false,,,,
,u4@example.com,Dan Dorsey,Performance,ai-basics,AI Basics,1,expired,75,,0,2025-02-01T09:00:00Z,2026-03-15T10:00:00Z,false,2025-03-01T10:00:00Z,rec-dan,2026-03-01T10:00:00Z,
`
