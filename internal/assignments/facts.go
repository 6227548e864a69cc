package assignments

import (
	"database/sql"
	"strings"
	"time"
)

// Pair names, in SQL, the (user, module) pair of each result row of a
// query that reads Facts. Its methods write the SQL that reads them, by
// correlated lookups on the primary keys and unique indexes of the
// learning tables (every one leads with user_id, module), so a query using
// them streams: nothing is grouped or sorted over a whole table.
type Pair struct {
	User, Module string // SQL expressions
	// Enrolled, when set, is an SQL condition that is false when the
	// learner is not enrolled in the module. Every learning activity starts
	// with an enrollment (internal/learning enrols before it stores any
	// progress, attempt or record), so the lookups are skipped for such
	// pairs, which are most of a fresh assignment campaign.
	Enrolled string
}

// RecordJoin is the LEFT JOIN that makes alias fr the newest record of the
// pair that is not revoked (by cycle, as internal/learning orders them).
// A join rather than subqueries keeps the columns' declared types.
func (p Pair) RecordJoin() string {
	on := ""
	if p.Enrolled != "" {
		on = p.Enrolled + " AND "
	}
	return p.expand(`LEFT JOIN records fr ON ` + on + `fr.id = (SELECT x.id FROM records x
	WHERE x.user_id = {u} AND x.module = {m} AND x.revoked_at IS NULL ORDER BY x.cycle DESC LIMIT 1)`)
}

// Columns are the select-list expressions FactsScan reads, in its order;
// the query must include RecordJoin.
func (p Pair) Columns() string {
	return `fr.id, fr.revision, fr.cycle, fr.issued_at, fr.expires_at,
	` + p.Lookup(`SELECT COUNT(*) FROM lesson_progress fl WHERE fl.user_id = {u} AND fl.module = {m} AND fl.completed_at IS NOT NULL`) + `,
	` + p.Lookup(`SELECT COUNT(*) FROM attempts fa WHERE fa.user_id = {u} AND fa.module = {m}`)
}

// Lookup wraps a correlated subquery on the pair's learning rows, written
// with {u} and {m} for the pair: it answers 0 without running when the
// learner is not enrolled.
func (p Pair) Lookup(subquery string) string {
	q := "(" + p.expand(subquery) + ")"
	if p.Enrolled == "" {
		return q
	}
	return "CASE WHEN " + p.Enrolled + " THEN " + q + " ELSE 0 END"
}

func (p Pair) expand(s string) string {
	return strings.NewReplacer("{u}", p.User, "{m}", p.Module).Replace(s)
}

// FactsScan receives the Pair.Columns of one row.
type FactsScan struct {
	RecordID       sql.NullString
	RecordRevision sql.NullInt64
	RecordCycle    sql.NullInt64
	RecordIssuedAt sql.NullTime
	RecordExpires  sql.NullTime
	Lessons        int64
	Attempts       int64
}

// Dest returns the scan destinations, in Columns order.
func (f *FactsScan) Dest() []any {
	return []any{&f.RecordID, &f.RecordRevision, &f.RecordCycle, &f.RecordIssuedAt, &f.RecordExpires,
		&f.Lessons, &f.Attempts}
}

// Facts returns what was scanned, with the assignment (nil when the pair
// is not assigned).
func (f *FactsScan) Facts(a *AssignmentFacts) Facts {
	out := Facts{LessonsCompleted: int(f.Lessons), Attempts: int(f.Attempts), Assignment: a}
	if f.RecordID.Valid {
		r := &RecordFacts{IssuedAt: f.RecordIssuedAt.Time.UTC()}
		if f.RecordExpires.Valid {
			t := f.RecordExpires.Time.UTC()
			r.ExpiresAt = &t
		}
		out.Record = r
	}
	return out
}

// AssignmentScan receives an assignment's columns: id, due_at,
// assigned_at, grace_days (all NULL when the pair is not assigned).
type AssignmentScan struct {
	ID         sql.NullString
	DueAt      sql.NullTime
	AssignedAt sql.NullTime
	GraceDays  sql.NullInt64
}

// Dest returns the scan destinations.
func (a *AssignmentScan) Dest() []any { return []any{&a.ID, &a.DueAt, &a.AssignedAt, &a.GraceDays} }

// Facts returns the assignment, or nil when there is none.
func (a *AssignmentScan) Facts() *AssignmentFacts {
	if !a.ID.Valid {
		return nil
	}
	return &AssignmentFacts{DueAt: a.DueAt.Time.UTC(), GraceDays: int(a.GraceDays.Int64)}
}

// AssignedAtTime is when the pair was assigned, or nil.
func (a *AssignmentScan) AssignedAtTime() *time.Time {
	if !a.AssignedAt.Valid {
		return nil
	}
	t := a.AssignedAt.Time.UTC()
	return &t
}
