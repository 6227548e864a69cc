package learning

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/store"
)

// enrollment says which revision of a module a learner is on.
type enrollment struct {
	UserID     string
	Module     string
	Revision   int
	EnrolledAt time.Time
	UpdatedAt  time.Time
}

func (enrollment) TableName() string { return "enrollments" }

// lessonProgress is one learner's time on, and completion of, one lesson.
type lessonProgress struct {
	UserID       string
	Module       string
	Lesson       string
	SecondsSpent int64
	CompletedAt  *time.Time
	UpdatedAt    time.Time
}

func (lessonProgress) TableName() string { return "lesson_progress" }

// attemptRow is one quiz attempt. Questions is exactly what was shown,
// with the per-attempt choice ids and their correctness: grading reads it
// and nothing else.
type attemptRow struct {
	ID          string
	UserID      string
	Module      string
	Revision    int
	Cycle       int
	Number      int
	Questions   []shownQuestion `gorm:"serializer:json"`
	PassMark    int
	Reveal      string
	Answers     map[string][]string `gorm:"serializer:json"`
	StartedAt   time.Time
	SubmittedAt *time.Time
	Score       *int
	Passed      *bool
}

func (attemptRow) TableName() string { return "attempts" }

// cycleAttempts sums up a learner's attempts at a module in one
// certification cycle: what progress and the attempt rules need, without
// reading every attempt (a learner may have thousands).
type cycleAttempts struct {
	count  int  // opened
	best   *int // best score, nil before any submitted attempt
	passed bool // one of them passed
}

// state is everything one learner did with one module.
type state struct {
	enrolled *enrollment
	lessons  map[string]lessonProgress // by lesson slug, any revision
	attempts map[int]cycleAttempts     // by cycle
	open     string                    // the attempt still open, "" if none
	records  []Record                  // by cycle
	// attempted: an attempt was opened in some cycle, where attempts
	// does not hold every cycle (loadView)
	attempted bool
}

// loadStates reads the state of userID for each module in one query per
// table. Modules the user never touched get an empty state.
func loadStates(ctx context.Context, db *gorm.DB, userID string, modules []string) (map[string]*state, error) {
	out := make(map[string]*state, len(modules))
	for _, m := range modules {
		out[m] = &state{lessons: map[string]lessonProgress{}, attempts: map[int]cycleAttempts{}}
	}
	if len(modules) == 0 {
		return out, nil
	}
	if err := loadRows(ctx, db, userID, modules, out); err != nil {
		return nil, err
	}
	if err := loadAttempts(ctx, db, userID, modules, out); err != nil {
		return nil, err
	}
	return out, nil
}

// loadRows reads userID's enrolments, lessons and records of modules into
// out. Plain SQL run past GORM and scanned by hand: this runs on every
// attempt, and GORM's statement builder and reflection were most of its
// cost.
func loadRows(ctx context.Context, db *gorm.DB, userID string, modules []string, out map[string]*state) error {
	if err := enrollmentsOf.each(ctx, db, userID, modules, func(scan func(...any) error) error {
		e := enrollment{UserID: userID}
		if err := scan(&e.Module, &e.Revision, &e.EnrolledAt, &e.UpdatedAt); err != nil {
			return err
		}
		out[e.Module].enrolled = &e
		return nil
	}); err != nil {
		return err
	}
	if err := lessonsOf.each(ctx, db, userID, modules, func(scan func(...any) error) error {
		lp := lessonProgress{UserID: userID}
		if err := scan(&lp.Module, &lp.Lesson, &lp.SecondsSpent, &lp.CompletedAt, &lp.UpdatedAt); err != nil {
			return err
		}
		out[lp.Module].lessons[lp.Lesson] = lp
		return nil
	}); err != nil {
		return err
	}
	if err := recordsOf.each(ctx, db, userID, modules, func(scan func(...any) error) error {
		var r Record
		if err := scanRecord(scan, &r); err != nil {
			return err
		}
		out[r.Module].records = append(out[r.Module].records, r)
		return nil
	}); err != nil {
		return err
	}
	return nil
}

// loadAttempts sums up userID's attempts at modules per cycle into out.
func loadAttempts(ctx context.Context, db *gorm.DB, userID string, modules []string, out map[string]*state) error {
	if err := attemptsOf.each(ctx, db, userID, modules, func(scan func(...any) error) error {
		var (
			module string
			cycle  int
			c      cycleAttempts
			passed int
			open   *string
		)
		if err := scan(&module, &cycle, &c.count, &c.best, &passed, &open); err != nil {
			return err
		}
		c.passed = passed == 1
		out[module].attempts[cycle] = c
		if open != nil {
			out[module].open = *open
		}
		return nil
	}); err != nil {
		return err
	}
	return nil
}

// loadCounts is loadStates for opening an attempt: of the attempts, only
// those of the cycle under way are counted, from the index alone, without
// a GROUP BY (SQLite runs a grouped query over bound parameters at more
// than twice the cost of the same query with literals) and without
// reading every attempt's row for its score;
// the open one is found through its own index.
func loadCounts(ctx context.Context, db *gorm.DB, userID, module string) (*state, error) {
	st := &state{lessons: map[string]lessonProgress{}, attempts: map[int]cycleAttempts{}}
	out := map[string]*state{module: st}
	if err := loadRows(ctx, db, userID, []string{module}, out); err != nil {
		return nil, err
	}
	cycle, n := len(st.records), 0
	if err := countAttempts.Row(ctx, db, userID, module, cycle).Scan(&n); err != nil {
		return nil, err
	}
	st.attempts[cycle] = cycleAttempts{count: n}
	err := eachRow(ctx, db, openAttempt, []any{userID, module}, func(scan func(...any) error) error { return scan(&st.open) })
	return st, err
}

var openAttempt = store.NewQuery(`SELECT id FROM attempts WHERE user_id = ? AND module = ? AND submitted_at IS NULL`)

var countAttempts = store.NewQuery(`SELECT COUNT(*) FROM attempts WHERE user_id = ? AND module = ? AND cycle = ?`)

// eachRow runs q and calls row for each row, with its Scan.
func eachRow(ctx context.Context, db *gorm.DB, q store.Query, args []any, row func(scan func(...any) error) error) error {
	rows, err := q.Rows(ctx, db, args...)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ofUser is a statement over one user's rows of some modules, its WHERE
// ending "user_id = ? AND module IN (%s)" (or followed by GROUP BY or
// ORDER BY), run past GORM.
type ofUser struct{ q *store.QueryFamily }

func newOfUser(sql string) ofUser {
	return ofUser{store.NewQueryFamily(func(n int) string { return fmt.Sprintf(sql, store.Placeholders(n)) })}
}

// each calls row for each of userID's rows of modules.
func (o ofUser) each(ctx context.Context, db *gorm.DB, userID string, modules []string, row func(scan func(...any) error) error) error {
	args := make([]any, 0, 1+len(modules))
	args = append(args, userID)
	for _, m := range modules {
		args = append(args, m)
	}
	return eachRow(ctx, db, o.q.For(len(modules)), args, row)
}

var (
	enrollmentsOf = newOfUser(`SELECT module, revision, enrolled_at, updated_at FROM enrollments WHERE user_id = ? AND module IN (%s)`)
	lessonsOf     = newOfUser(`SELECT module, lesson, seconds_spent, completed_at, updated_at FROM lesson_progress WHERE user_id = ? AND module IN (%s)`)
	recordsOf     = newOfUser(`SELECT ` + recordColumns + ` FROM records WHERE user_id = ? AND module IN (%s) ORDER BY cycle`)
	attemptsOf    = newOfUser(`SELECT module, cycle, COUNT(*), MAX(score), MAX(CASE WHEN passed THEN 1 ELSE 0 END),
		MAX(CASE WHEN submitted_at IS NULL THEN id END)
		FROM attempts WHERE user_id = ? AND module IN (%s) GROUP BY module, cycle`)
)

func loadState(ctx context.Context, db *gorm.DB, userID, module string) (*state, error) {
	m, err := loadStates(ctx, db, userID, []string{module})
	if err != nil {
		return nil, err
	}
	return m[module], nil
}

// enrol makes sure userID is enrolled in module and on revision rev or a
// newer one, and takes the row's lock. Every write of a learner's progress
// on a module starts here, so on PostgreSQL those transactions queue on
// this row (ON CONFLICT DO UPDATE always locks it) and each sees what the
// previous one committed; two requests finishing the last two lessons at
// once therefore cannot both miss the completion. SQLite's single writer
// serialises them anyway.
func enrol(tx *gorm.DB, userID, module string, rev int, now time.Time) error {
	_, err := enrolQuery.Exec(tx.Statement.Context, tx, userID, module, rev, now, now)
	return err
}

// enrolQuery is enrol's upsert, run past GORM: it runs on every write of
// progress.
var enrolQuery = store.NewQuery(`INSERT INTO enrollments (user_id, module, revision, enrolled_at, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (user_id, module) DO UPDATE SET
revision = CASE WHEN excluded.revision > enrollments.revision THEN excluded.revision ELSE enrollments.revision END,
updated_at = excluded.updated_at`)

// recordColumns are a record's columns as scanRecord reads them.
const recordColumns = `id, user_id, holder_name, module, module_title, revision, content_hash, cycle, attempt_id, score,
	issued_at, expires_at, revoked_at, revoked_by, revoke_reason, credential, kind, path`

// scanRecord reads recordColumns into r, by hand: GORM's reflection cost
// more than the read on the paths that run on every request.
func scanRecord(scan func(...any) error, r *Record) error {
	return scan(&r.ID, &r.UserID, &r.HolderName, &r.Module, &r.ModuleTitle, &r.Revision, &r.ContentHash, &r.Cycle,
		&r.AttemptID, &r.Score, &r.IssuedAt, &r.ExpiresAt, &r.RevokedAt, &r.RevokedBy, &r.RevokeReason,
		&r.Credential, &r.Kind, &r.Path)
}
