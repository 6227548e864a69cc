// Package store owns the database: opening SQLite or PostgreSQL through GORM,
// the connection design that keeps SQLite free of "database is locked", and
// the versioned SQL migrations embedded in the binary.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the database in use.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the database handle. On SQLite, W is a single writer connection
// (every write transaction is BEGIN IMMEDIATE and they queue in Go rather
// than fail with SQLITE_BUSY) and R is a pool of query-only readers. On
// PostgreSQL both are the same pool.
type DB struct {
	W       *gorm.DB
	R       *gorm.DB
	Dialect Dialect
	writer  *sql.DB
	reader  *sql.DB
	auth    *AuthWatch   // SQLite only
	group   *groupCommit // SQLite only
	dsn     string       // PostgreSQL: for Listen's own connection
}

// Options tune Open.
type Options struct {
	MaxReaders int // SQLite reader pool / PostgreSQL pool size; default 16
}

// Open connects to the database named by dsn: a postgres:// URL or a SQLite
// file path. A SQLite file is created 0600 inside a 0700 directory.
func Open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	if opt.MaxReaders <= 0 {
		opt.MaxReaders = 16
	}
	var db *DB
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err = openPostgres(dsn, opt)
	} else {
		db, err = openSQLite(dsn, opt)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

func openSQLite(path string, opt Options) (*DB, error) {
	path = strings.TrimPrefix(path, "sqlite://")
	if path == "" || strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlite: want a plain file path, got %q", path)
	}
	if err := prepareFile(path); err != nil {
		return nil, err
	}
	// Pragmas go in the DSN so that every connection of the pool gets them.
	// secure_delete: deleted and overwritten content is zeroed in the file,
	// so an erased person's data does not linger in free space (privacy).
	// Each connection keeps its prepared statements (_stmt_cache_size), so a
	// query the service runs again is not parsed again.
	base := "file:" + url.PathEscape(path) + "?_journal_mode=WAL&_foreign_keys=on&_busy_timeout=10000&_synchronous=NORMAL&_secure_delete=on&_stmt_cache_size=128"
	w, err := gorm.Open(sqlite.New(sqlite.Config{DriverName: driverName(), DSN: base + "&_txlock=immediate"}), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	r, err := gorm.Open(sqlite.New(sqlite.Config{DriverName: driverName(), DSN: base + "&_query_only=true"}), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	wdb, _ := w.DB()
	rdb, _ := r.DB()
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxIdleTime(0)
	rdb.SetMaxOpenConns(opt.MaxReaders)
	rdb.SetMaxIdleConns(opt.MaxReaders)
	db := &DB{W: w, R: r, Dialect: SQLite, writer: wdb, reader: rdb}
	db.auth = startAuthWatch(db)
	db.group = startGroupCommit(w)
	return db, nil
}

// prepareFile creates the directory (0700) and the database file (0600)
// before SQLite does, so SQLite's own files inherit the strict mode.
func prepareFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("sqlite: create %s: %w", dir, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return f.Close()
}

func openPostgres(dsn string, opt Options) (*DB, error) {
	g, err := gorm.Open(postgres.Open(dsn), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	sdb, _ := g.DB()
	sdb.SetMaxOpenConns(opt.MaxReaders * 2)
	sdb.SetMaxIdleConns(opt.MaxReaders)
	sdb.SetConnMaxLifetime(30 * time.Minute)
	return &DB{W: g, R: g, Dialect: Postgres, writer: sdb, reader: sdb, dsn: dsn}, nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := db.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("database ping: %w", err)
	}
	if db.reader != db.writer {
		if err := db.reader.PingContext(ctx); err != nil {
			return fmt.Errorf("database ping (readers): %w", err)
		}
	}
	return nil
}

// Pools returns the underlying pools by name, for metrics.
func (db *DB) Pools() map[string]*sql.DB {
	if db.reader == db.writer {
		return map[string]*sql.DB{"main": db.writer}
	}
	return map[string]*sql.DB{"writer": db.writer, "reader": db.reader}
}

// Close closes every pool; on SQLite it checkpoints the WAL first so the
// database file is complete on its own.
func (db *DB) Close() error {
	var errs []error
	if db.group != nil {
		db.group.close()
	}
	if db.auth != nil {
		db.auth.close()
	}
	if db.Dialect == SQLite {
		if err := db.W.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
			errs = append(errs, err)
		}
	}
	if db.reader != db.writer {
		errs = append(errs, db.reader.Close())
	}
	errs = append(errs, db.writer.Close())
	return errors.Join(errs...)
}

// Tx runs fn in a write transaction. On SQLite, transactions that queue
// for the single writer share a commit (see groupCommit), each in a
// savepoint of its own; Tx returns only after that commit. fn must not
// start another transaction.
func (db *DB) Tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if db.group != nil {
		return db.group.tx(ctx, fn)
	}
	return db.W.WithContext(ctx).Transaction(fn)
}

// TxRetrying runs fn in a write transaction, up to tries times while it
// fails on a unique constraint: another transaction won a race (on
// PostgreSQL; SQLite's single writer serialises them), and the next run
// sees the winner's rows. fn must have no effect outside the transaction.
// After the last try it returns that unique violation.
func (db *DB) TxRetrying(ctx context.Context, tries int, fn func(tx *gorm.DB) error) error {
	var err error
	for range max(tries, 1) {
		if err = db.Tx(ctx, fn); err == nil || !IsUniqueViolation(err) {
			return err
		}
	}
	return err
}

// IsUniqueViolation reports whether err is a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	return errors.Is(err, gorm.ErrDuplicatedKey)
}

// Timestamp is t as the database keeps it: UTC, to the microsecond (what
// PostgreSQL keeps), so a time compared with or returned beside a stored
// one is the same on both databases.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// IsNotFound reports whether err is gorm's record-not-found.
func IsNotFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }
