package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/store/storetest"
)

// Transactions that share a commit stay apart: each that succeeds is
// committed, each that fails leaves nothing behind, a panic reaches its own
// caller, and every caller returns only once its outcome is final.
func TestGroupCommitIsolatesEachTransaction(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	if err := db.W.Exec(`CREATE TABLE g (k TEXT PRIMARY KEY); INSERT INTO g (k) VALUES ('taken')`).Error; err != nil {
		t.Fatal(err)
	}
	errBoom := errors.New("boom")
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	panics := make([]any, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errs[i] = db.Tx(ctx, func(tx *gorm.DB) error {
				if err := tx.Exec(`INSERT INTO g (k) VALUES (?)`, fmt.Sprint(i)).Error; err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return errBoom
				case 7:
					panic("panic in " + fmt.Sprint(i))
				case 9:
					// A constraint failure after a write of its own.
					return tx.Exec(`INSERT INTO g (k) VALUES (?)`, "taken").Error
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i := range n {
		var count int64
		if err := db.R.Raw(`SELECT COUNT(*) FROM g WHERE k = ?`, fmt.Sprint(i)).Scan(&count).Error; err != nil {
			t.Fatal(err)
		}
		switch i % 10 {
		case 3:
			if !errors.Is(errs[i], errBoom) || count != 0 {
				t.Errorf("%d: err %v, %d rows; want its own error and no row", i, errs[i], count)
			}
		case 7:
			if panics[i] != fmt.Sprint("panic in ", i) || count != 0 {
				t.Errorf("%d: panic %v, %d rows; want its own panic and no row", i, panics[i], count)
			}
		case 9:
			if errs[i] == nil || count != 0 {
				t.Errorf("%d: err %v, %d rows; want a failure and no row", i, errs[i], count)
			}
		default:
			if errs[i] != nil || count != 1 {
				t.Errorf("%d: err %v, %d rows; want it committed", i, errs[i], count)
			}
		}
	}
}
