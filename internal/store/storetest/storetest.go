// Package storetest opens real, migrated databases for tests: a temp-file
// SQLite always, and PostgreSQL when UPSKILL_TEST_DATABASE_URL is set, each
// PostgreSQL test in a fresh schema that is dropped afterwards.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/upskill/upskill/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL URL for tests.
const EnvPostgres = "UPSKILL_TEST_DATABASE_URL"

// SQLite returns a migrated database in a temp file.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "test.db"))
}

// Postgres returns a migrated database in a fresh schema, or skips the test
// with a message when no PostgreSQL is configured.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	dsn := PostgresDSN(t)
	return open(t, dsn)
}

// PostgresDSN creates a fresh schema and returns a URL whose search_path
// points at it; the schema is dropped when the test ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" && os.Getenv("CI") == "true" {
		// On a developer's laptop the PostgreSQL tests may skip; in CI a
		// missing database must not pass as green.
		t.Fatalf("PostgreSQL tests need %s under CI=true (.ci/run sets it when PostgreSQL answers on 127.0.0.1:5432)", EnvPostgres)
	}
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvPostgres)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := store.Open(context.Background(), base, store.Options{MaxReaders: 1})
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	if err := admin.W.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.W.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Each runs fn once per available database as a subtest.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

func open(t testing.TB, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// Replicas runs fn once per available database, each time with n handles
// on one fresh, migrated database, as n processes (replicas) would hold.
func Replicas(t *testing.T, n int, fn func(t *testing.T, dbs []*store.DB)) {
	t.Helper()
	handles := func(t *testing.T, dsn string) []*store.DB {
		dbs := make([]*store.DB, n)
		for i := range dbs {
			dbs[i] = open(t, dsn)
		}
		return dbs
	}
	t.Run("sqlite", func(t *testing.T) { fn(t, handles(t, filepath.Join(t.TempDir(), "replicas.db"))) })
	t.Run("postgres", func(t *testing.T) { fn(t, handles(t, PostgresDSN(t))) })
}
