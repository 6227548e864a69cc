package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen calls fn whenever a NOTIFY arrives on channel (PostgreSQL), and
// once after every connection and reconnection of its listening
// connection: notifications sent while it was away are lost, so fn must
// bring its state fully up to date, not apply one change. A notification
// is only a hint; callers keep a slow poll as the fallback. Listen returns
// at once; the listener runs on its own connection until ctx ends. On
// SQLite it does nothing and reports false.
func (db *DB) Listen(ctx context.Context, channel string, fn func()) bool {
	if db.Dialect != Postgres || db.dsn == "" {
		return false
	}
	go func() {
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			if db.listenOnce(ctx, channel, fn) {
				backoff = 100 * time.Millisecond
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}()
	return true
}

// listenOnce listens until the connection fails or ctx ends; it reports
// whether it got as far as listening.
func (db *DB) listenOnce(ctx context.Context, channel string, fn func()) bool {
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return false
	}
	fn() // whatever happened while nobody listened
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true
		}
		fn()
	}
}
