package store_test

import (
	"context"
	"testing"

	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// While one process runs a leader's job, another process asking to run it
// is told no; once the first is done, the next may.
func TestOneLeaderAtATime(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(context.Background(), dsn, store.Options{MaxReaders: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	ctx := context.Background()
	ran, err := dbs[0].AsLeader(ctx, store.LeaderReminders, func(ctx context.Context) error {
		other, err := dbs[1].AsLeader(ctx, store.LeaderReminders, func(context.Context) error {
			t.Error("a second leader ran while the first held the lock")
			return nil
		})
		if err != nil || other {
			t.Errorf("second process: ran %v, err %v", other, err)
		}
		return nil
	})
	if err != nil || !ran {
		t.Fatalf("first process: ran %v, err %v", ran, err)
	}
	ran, err = dbs[1].AsLeader(ctx, store.LeaderReminders, func(context.Context) error { return nil })
	if err != nil || !ran {
		t.Fatalf("after the first leader ended, the next should run: %v %v", ran, err)
	}
}
