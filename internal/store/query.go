package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// Query is a statement written once, with ? placeholders, and run straight
// on the connection GORM holds (the pool, or the transaction's), past
// GORM's statement builder. That builder copies a statement character by
// character on every run: for the progress path's one long read it cost a
// third of the read (measured with go test -bench LessonProgress). Keep it
// for the few statements that run on every request.
type Query struct {
	sqlite, postgres string
}

// NewQuery prepares q, whose placeholders are ?, for both dialects.
// Question marks inside quotes are left alone.
func NewQuery(q string) Query {
	var b strings.Builder
	n, quote := 0, rune(0)
	for _, r := range q {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return Query{sqlite: q, postgres: b.String()}
}

func (q Query) text(db *gorm.DB) string {
	if db.Dialector.Name() == "postgres" {
		return q.postgres
	}
	return q.sqlite
}

// Rows runs q on db, the pool or a transaction, with args.
func (q Query) Rows(ctx context.Context, db *gorm.DB, args ...any) (*sql.Rows, error) {
	return db.Statement.ConnPool.QueryContext(ctx, q.text(db), args...)
}

// Row runs q on db for one row.
func (q Query) Row(ctx context.Context, db *gorm.DB, args ...any) *sql.Row {
	return db.Statement.ConnPool.QueryRowContext(ctx, q.text(db), args...)
}

// Exec runs q on db and returns how many rows it changed.
func (q Query) Exec(ctx context.Context, db *gorm.DB, args ...any) (int64, error) {
	res, err := db.Statement.ConnPool.ExecContext(ctx, q.text(db), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Placeholders is n comma-separated question marks, for an IN list.
func Placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// QueryFamily is a statement that depends on the length of a list (an IN
// list's placeholders), prepared for each length on first use.
type QueryFamily struct {
	build func(n int) string
	byLen sync.Map // int → Query
}

// NewQueryFamily makes the family whose statement for a list of n is
// build(n).
func NewQueryFamily(build func(n int) string) *QueryFamily {
	return &QueryFamily{build: build}
}

// For is the statement for a list of n.
func (f *QueryFamily) For(n int) Query {
	if q, ok := f.byLen.Load(n); ok {
		return q.(Query)
	}
	q, _ := f.byLen.LoadOrStore(n, NewQuery(f.build(n)))
	return q.(Query)
}
