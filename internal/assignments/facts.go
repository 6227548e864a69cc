package assignments

import (
	"database/sql"
	"strings"
	"time"
)

// The SQL below reads Facts for one (user, module) pair per result row, by
// correlated lookups on the primary keys and unique indexes of the learning
// tables (every one of them leads with user_id, module), so a query that
// uses it streams: nothing is grouped or sorted over the whole table.
//
// The newest unrevoked record is joined as alias "fr" (by cycle, as
// internal/learning orders records), so its columns keep their declared
// types when scanned.

// RecordJoin is the LEFT JOIN that makes alias fr the newest unrevoked
// record of the pair (userExpr, moduleExpr).
func RecordJoin(userExpr, moduleExpr string) string {
	return expand(`LEFT JOIN records fr ON fr.id = (SELECT x.id FROM records x
	WHERE x.user_id = {u} AND x.module = {m} AND x.revoked_at IS NULL ORDER BY x.cycle DESC LIMIT 1)`, userExpr, moduleExpr)
}

// FactsColumns are the select-list expressions FactsScan reads, in its
// order; the query must include RecordJoin for the same pair.
func FactsColumns(userExpr, moduleExpr string) string {
	return expand(`fr.id, fr.revision, fr.cycle, fr.issued_at, fr.expires_at,
	(SELECT COUNT(*) FROM lesson_progress fl WHERE fl.user_id = {u} AND fl.module = {m} AND fl.completed_at IS NOT NULL),
	(SELECT COUNT(*) FROM attempts fa WHERE fa.user_id = {u} AND fa.module = {m})`, userExpr, moduleExpr)
}

func expand(s, userExpr, moduleExpr string) string {
	return strings.NewReplacer("{u}", userExpr, "{m}", moduleExpr).Replace(s)
}

// FactsScan receives the FactsColumns of one row.
type FactsScan struct {
	RecordID       sql.NullString
	RecordRevision sql.NullInt64
	RecordCycle    sql.NullInt64
	RecordIssuedAt sql.NullTime
	RecordExpires  sql.NullTime
	Lessons        int64
	Attempts       int64
}

// Dest returns the scan destinations, in FactsColumns order.
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

// AssignedAt is when the pair was assigned, or nil.
func (a *AssignmentScan) AssignedAtTime() *time.Time {
	if !a.AssignedAt.Valid {
		return nil
	}
	t := a.AssignedAt.Time.UTC()
	return &t
}
