package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/store"
)

// OpenDB opens and migrates the configured database, creating the data
// directory and, for SQLite, the database file when they do not exist.
// Only serve and migrate should create a database: every other command
// uses OpenExistingDB.
func OpenDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
	if err != nil {
		return nil, err
	}
	return migrate(ctx, db, log)
}

// OpenExistingDB is OpenDB for a database that must already hold upskill's
// tables: a SQLite file that does not exist, or a database no upskill has
// migrated, is refused with an error naming where it looked and the
// settings that choose the database. Run from the wrong folder, a command
// would otherwise import into, report on or back up a new, empty database.
func OpenExistingDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	where := DatabaseName(cfg)
	if !cfg.IsPostgres() {
		if _, err := os.Stat(sqlitePath(cfg.DatabaseURL)); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s: run the command in the service's folder, or point "+
				"UPSKILL_DATA_DIR (--data-dir) or UPSKILL_DATABASE_URL (--database-url) at the service's database; "+
				"only serve and migrate create a database", where)
		} else if err != nil {
			return nil, fmt.Errorf("database %s: %w", where, err)
		}
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
	if err != nil {
		return nil, err
	}
	cur, _, err := db.SchemaVersion(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if cur == 0 {
		db.Close()
		return nil, fmt.Errorf("the database %s holds no upskill data (it was never migrated): point "+
			"UPSKILL_DATA_DIR (--data-dir) or UPSKILL_DATABASE_URL (--database-url) at the service's database, "+
			"or run upskill migrate to set up a new one", where)
	}
	return migrate(ctx, db, log)
}

func migrate(ctx context.Context, db *store.DB, log *slog.Logger) (*store.DB, error) {
	n, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("database migrated", "applied", n)
	}
	return db, nil
}

// DatabaseName names the configured database for people: the absolute path
// of a SQLite file, or the PostgreSQL URL without its password.
func DatabaseName(cfg config.Config) string {
	if cfg.IsPostgres() {
		return config.RedactURL(cfg.DatabaseURL)
	}
	p := sqlitePath(cfg.DatabaseURL)
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

func sqlitePath(u string) string { return strings.TrimPrefix(u, "sqlite://") }
