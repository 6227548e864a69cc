package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// AuthWatch tells the sign-in cache when what it caches may have changed.
//
// Migration 00016's triggers bump the one-row auth_epoch table in the same
// transaction as any change to a user's roles, name or disabled flag, or
// the revocation of a login. In this process every write goes through the
// one SQLite writer connection, whose update hook marks the watch
// "unsettled" as soon as such a transaction touches auth_epoch, before it
// commits: from then on Snapshot says not to trust the cache. The watcher
// then reads the epoch on the writer connection, which queues it behind
// the transaction, and once the change is committed (or rolled back) it
// advances the generation, if the epoch moved, and settles. Other
// processes writing the same file (the command line) are seen by a short
// re-read of the epoch every PollInterval.
type AuthWatch struct {
	db       *DB
	marks    atomic.Uint64 // in-process writes to auth_epoch seen by the hook
	settled  atomic.Uint64 // marks reflected in gen
	gen      atomic.Uint64
	epoch    int64
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// AuthPollInterval is how often the epoch is re-read for changes made by
// other processes.
const AuthPollInterval = 100 * time.Millisecond

// The update hook is registered per connection by the driver, which does
// not know which DB it serves; every watch of the process is marked.
var watches struct {
	mu  sync.Mutex
	all map[*AuthWatch]struct{}
}

func authTouched() {
	watches.mu.Lock()
	for w := range watches.all {
		w.marks.Add(1)
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	watches.mu.Unlock()
}

const sqliteDriver = "sqlite3_upskill"

var registerDriver sync.Once

// driverName registers, once, the SQLite driver whose connections report
// writes to auth_epoch.
func driverName() string {
	registerDriver.Do(func() {
		sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			c.RegisterUpdateHook(func(_ int, _ string, table string, _ int64) {
				if table == "auth_epoch" {
					authTouched()
				}
			})
			return nil
		}})
	})
	return sqliteDriver
}

// AuthWatch returns the database's watch, or nil where there is none (on
// PostgreSQL the callers read what they need each time).
func (db *DB) AuthWatch() *AuthWatch { return db.auth }

func startAuthWatch(db *DB) *AuthWatch {
	w := &AuthWatch{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), epoch: -1}
	watches.mu.Lock()
	if watches.all == nil {
		watches.all = map[*AuthWatch]struct{}{}
	}
	watches.all[w] = struct{}{}
	watches.mu.Unlock()
	go w.run()
	return w
}

// Snapshot returns the current generation, and whether the cache may be
// trusted at all: it may not while a change is on its way.
func (w *AuthWatch) Snapshot() (gen uint64, trusted bool) {
	s := w.settled.Load()
	g := w.gen.Load()
	return g, s == w.marks.Load()
}

// Generation is the current generation.
func (w *AuthWatch) Generation() uint64 { return w.gen.Load() }

func (w *AuthWatch) run() {
	defer close(w.done)
	t := time.NewTicker(AuthPollInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-w.kick:
			w.check(true)
		case <-t.C:
			w.check(false)
		}
	}
}

// check re-reads the epoch: after a hook's mark on the writer connection,
// so it runs after the marking transaction ends; otherwise on a reader.
func (w *AuthWatch) check(marked bool) {
	m := w.marks.Load()
	pool := w.db.reader
	if marked {
		pool = w.db.writer
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var epoch int64
	err := pool.QueryRowContext(ctx, `SELECT version FROM auth_epoch WHERE id = 1`).Scan(&epoch)
	if err != nil {
		// Not migrated yet, or closing: trust nothing new.
		w.gen.Add(1)
		if marked {
			// Retry soon rather than stay unsettled.
			time.Sleep(10 * time.Millisecond)
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}
		return
	}
	if epoch != w.epoch {
		w.epoch = epoch
		w.gen.Add(1)
	}
	if marked {
		w.settled.Store(m)
	}
}

func (w *AuthWatch) close() {
	w.stopOnce.Do(func() {
		watches.mu.Lock()
		delete(watches.all, w)
		watches.mu.Unlock()
		close(w.stop)
		<-w.done
	})
}
