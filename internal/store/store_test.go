package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

type auditRow struct {
	ID       int64 `gorm:"primaryKey"`
	At       time.Time
	Action   string
	Target   string
	Details  string
	ActorID  *string
	ClientIP string `gorm:"column:client_ip"`
}

func (auditRow) TableName() string { return "audit_events" }

// Many goroutines writing single rows at once must never see "database is
// locked": the single writer connection queues them. What matters is the
// number of writers contending at once, not the number of rows: 64 writers
// of 25 transactions each (16 × 10 under -short, as in the race pass) still
// put every writer in the queue many times over.
func TestConcurrentWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		workers, perWorker := 64, 25
		if testing.Short() {
			workers, perWorker = 16, 10
		}
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, workers*perWorker)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWorker {
					row := auditRow{At: time.Now().UTC(), Action: "test.write", Target: fmt.Sprintf("%d-%d", w, i), Details: "{}"}
					// A read-then-write transaction is the case that deadlocks
					// without immediate transactions.
					err := db.Tx(ctx, func(tx *gorm.DB) error {
						var n int64
						if err := tx.Model(&auditRow{}).Where("target = ?", row.Target).Count(&n).Error; err != nil {
							return err
						}
						return tx.Create(&row).Error
					})
					if err != nil {
						errs <- err
					}
				}
			}()
		}
		// Readers run at the same time.
		stop := make(chan struct{})
		var rwg sync.WaitGroup
		for range 4 {
			rwg.Add(1)
			go func() {
				defer rwg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					var n int64
					if err := db.R.Model(&auditRow{}).Count(&n).Error; err != nil {
						errs <- fmt.Errorf("reader: %w", err)
						return
					}
					// Yield between reads: readers only have to overlap the
					// writers, not starve them of the two cores.
					time.Sleep(time.Millisecond)
				}
			}()
		}
		wg.Wait()
		close(stop)
		rwg.Wait()
		close(errs)
		count := 0
		for err := range errs {
			if count < 5 {
				t.Errorf("write failed: %v", err)
			}
			count++
		}
		if count > 0 {
			t.Fatalf("%d of %d writes failed", count, workers*perWorker)
		}
		var n int64
		if err := db.R.Model(&auditRow{}).Where("action = ?", "test.write").Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != int64(workers*perWorker) {
			t.Fatalf("rows present = %d, want %d", n, workers*perWorker)
		}
		var distinct int64
		db.R.Model(&auditRow{}).Distinct("target").Count(&distinct)
		if distinct != int64(workers*perWorker) {
			t.Fatalf("distinct targets = %d, want %d", distinct, workers*perWorker)
		}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		before := schemaOf(t, db)
		n, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("second migrate applied %d migrations, want 0", n)
		}
		if after := schemaOf(t, db); after != before {
			t.Fatalf("schema changed on second migrate:\n%s\n---\n%s", before, after)
		}
		cur, latest, err := db.SchemaVersion(ctx)
		if err != nil || cur != latest || cur == 0 {
			t.Fatalf("version = %d, latest = %d, err = %v", cur, latest, err)
		}
	})
}

// Two processes starting at once against one PostgreSQL must both succeed.
func TestConcurrentMigratePostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(ctx, dsn, store.Options{MaxReaders: 2})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			_, errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrator %d: %v", i, err)
		}
	}
}

func TestSQLiteFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	db, err := store.Open(context.Background(), filepath.Join(dir, "upskill.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkMode(t, dir, 0o700)
	checkMode(t, filepath.Join(dir, "upskill.db"), 0o600)
	// The reader pool is query-only: a write through it must fail.
	if err := db.R.Exec("INSERT INTO login_throttle(key, failures, window_start) VALUES ('x', 1, CURRENT_TIMESTAMP)").Error; err == nil {
		t.Fatal("write through the reader pool succeeded")
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s mode = %o, want %o", path, got, want)
	}
}

func schemaOf(t *testing.T, db *store.DB) string {
	t.Helper()
	var rows []string
	var err error
	if db.Dialect == store.SQLite {
		err = db.R.Raw("SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master ORDER BY type, name").Scan(&rows).Error
	} else {
		err = db.R.Raw(`SELECT table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns
			WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`).Scan(&rows).Error
	}
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(rows)
}
