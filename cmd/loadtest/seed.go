package main

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
)

// learnerPassword is every seeded learner's password; they share one
// argon2 hash, so seeding does not spend minutes hashing.
const learnerPassword = "loadtest learner passphrase"

const modulesPerUser = 20

func learnerEmail(i int) string { return fmt.Sprintf("learner%06d@loadtest.example", i) }

// session is a login seeded in bulk: its user and refresh-token family.
type session struct{ user, family string }

// seed writes the synthetic company straight into the database while the
// server is stopped: users, their departments, modulesPerUser assignments
// each, and some progress (one module started, its first lesson done).
// Learners from..to-1 also get a login (a refresh-token family), returned.
func seed(ctx context.Context, dsn string, users int, mods map[string]assignments.ModuleInfo, from, to int) ([]session, error) {
	var sessions []session
	hash, err := identity.HashPassword(learnerPassword)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	sqldb, err := db.W.DB()
	if err != nil {
		return nil, err
	}
	slugs := make([]string, 0, len(mods))
	for s := range mods {
		slugs = append(slugs, s)
	}
	slices.Sort(slugs)
	if len(slugs) < modulesPerUser {
		return nil, fmt.Errorf("want %d published modules, have %d", modulesPerUser, len(slugs))
	}
	slugs = slugs[:modulesPerUser]
	b := &bulk{db: sqldb, pg: db.Dialect == store.Postgres}
	now := time.Now().UTC().Truncate(time.Microsecond)
	due := now.AddDate(0, 1, 0)
	for d := range 25 {
		name := "Department " + strconv.Itoa(d)
		if err := b.add("departments", []string{"key", "name", "created_at"}, strings.ToLower(name), name, now); err != nil {
			return nil, err
		}
	}
	for i := range users {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		id := uuid.NewString()
		if err := b.add("users", []string{"id", "email", "name", "department", "employee_id", "roles", "password_hash", "disabled", "created_at", "updated_at"},
			id, learnerEmail(i), fmt.Sprintf("Learner %06d", i), "Department "+strconv.Itoa(i%25), fmt.Sprintf("LT%07d", i),
			"learner", hash, false, now, now); err != nil {
			return nil, err
		}
		for _, m := range slugs {
			if err := b.add("assignments", []string{"id", "user_id", "module", "due_at", "assigned_at", "grace_days"},
				uuid.NewString(), id, m, due, now, 0); err != nil {
				return nil, err
			}
		}
		if i >= from && i < to {
			sess := session{user: id, family: uuid.NewString()}
			if err := b.add("refresh_tokens", []string{"id", "family_id", "user_id", "token_hash", "created_at", "expires_at"},
				uuid.NewString(), sess.family, id, uuid.NewString(), now, now.Add(24*time.Hour)); err != nil {
				return nil, err
			}
			sessions = append(sessions, sess)
		}
		// Learners beyond the signed-in ones have made a start somewhere.
		m := mods[slugs[i%len(slugs)]]
		if i >= 1000 && len(m.Lessons) > 0 {
			if err := b.add("enrollments", []string{"user_id", "module", "revision", "enrolled_at", "updated_at"},
				id, m.Slug, m.Revision, now, now); err != nil {
				return nil, err
			}
			if err := b.add("lesson_progress", []string{"user_id", "module", "lesson", "seconds_spent", "completed_at", "updated_at"},
				id, m.Slug, m.Lessons[0], 120, now, now); err != nil {
				return nil, err
			}
		}
	}
	return sessions, b.flush()
}

// bulk batches rows into multi-row INSERTs, a few thousand rows per
// transaction.
type bulk struct {
	db      *sql.DB
	pg      bool
	tx      *sql.Tx
	txRows  int
	table   string
	cols    []string
	args    []any
	pending int
}

const rowsPerInsert = 200

func (b *bulk) add(table string, cols []string, vals ...any) error {
	if b.table != table && b.pending > 0 {
		if err := b.insert(); err != nil {
			return err
		}
	}
	b.table, b.cols = table, cols
	b.args = append(b.args, vals...)
	b.pending++
	if b.pending == rowsPerInsert {
		return b.insert()
	}
	return nil
}

func (b *bulk) insert() error {
	if b.tx == nil {
		tx, err := b.db.Begin()
		if err != nil {
			return err
		}
		b.tx = tx
	}
	var q strings.Builder
	q.WriteString("INSERT INTO " + b.table + " (" + strings.Join(b.cols, ", ") + ") VALUES ")
	n := 0
	for r := range b.pending {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for c := range b.cols {
			if c > 0 {
				q.WriteString(", ")
			}
			n++
			if b.pg {
				q.WriteString("$" + strconv.Itoa(n))
			} else {
				q.WriteByte('?')
			}
		}
		q.WriteByte(')')
	}
	if _, err := b.tx.Exec(q.String(), b.args...); err != nil {
		return fmt.Errorf("seed %s: %w", b.table, err)
	}
	b.txRows += b.pending
	b.args, b.pending = b.args[:0], 0
	if b.txRows >= 20000 {
		b.txRows = 0
		err := b.tx.Commit()
		b.tx = nil
		return err
	}
	return nil
}

func (b *bulk) flush() error {
	if b.pending > 0 {
		if err := b.insert(); err != nil {
			return err
		}
	}
	if b.tx != nil {
		err := b.tx.Commit()
		b.tx = nil
		return err
	}
	return nil
}
