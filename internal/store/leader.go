package store

import (
	"context"
	"fmt"
)

// Leader keys name the jobs that one process at a time may run across
// replicas (PostgreSQL advisory lock keys).
const (
	LeaderReminders int64 = 0x7570736b696c6c01 // "upskill" + 1
)

// AsLeader runs fn unless another process is running the job named key at
// the same moment, and reports whether fn ran. On PostgreSQL it holds an
// advisory session lock on a dedicated connection while fn runs; the lock
// ends with the connection, so a crashed leader frees it. A SQLite
// database is served by one process, which is always the leader.
func (db *DB) AsLeader(ctx context.Context, key int64, fn func(ctx context.Context) error) (bool, error) {
	if db.Dialect != Postgres {
		return true, fn(ctx)
	}
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("leader lock: %w", err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		return false, fmt.Errorf("leader lock: %w", err)
	}
	if !got {
		return false, nil
	}
	defer func() {
		// A failed unlock is freed with the connection, which Close drops
		// from the pool only on error; ending the session ends the lock.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
	}()
	return true, fn(ctx)
}
