package notify_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/notify"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// Two replicas (two handles on one database) run the day's digests at the
// same moment: everyone gets exactly one digest, each item recorded once.
func TestReplicasNeverSendADigestTwice(t *testing.T) {
	storetest.Replicas(t, 2, func(t *testing.T, dbs []*store.DB) {
		now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
		const people = 300
		for i := range people {
			id := fmt.Sprintf("u%04d", i)
			if err := dbs[0].W.Exec(`INSERT INTO users (id, email, name, department, roles, created_at, updated_at)
					VALUES (?, ?, ?, 'Sales', 'learner', ?, ?)`, id, id+"@example.com", id, now, now).Error; err != nil {
				t.Fatal(err)
			}
			if err := dbs[0].W.Exec(`INSERT INTO assignments (id, user_id, module, due_at, assigned_at, grace_days)
					VALUES (?, ?, 'ai-basics', ?, ?, 0)`, "a-"+id, id, now.Add(-48*time.Hour), now.Add(-30*24*time.Hour)).Error; err != nil {
				t.Fatal(err)
			}
		}
		cat := assignments.StaticCatalog{"ai-basics": {Slug: "ai-basics", Title: "AI Basics", Revision: 1}}
		var wg sync.WaitGroup
		written := make([]int, 2)
		for i, db := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sc := &notify.Scheduler{Service: notify.New(db, cat, notify.Options{}), Hour: 8, Now: func() time.Time { return now }}
				n, err := sc.RunOnce(context.Background())
				if err != nil {
					t.Error(err)
				}
				written[i] = n
			}()
		}
		wg.Wait()
		var digests, items int64
		dbs[0].R.Table("outbox").Where("kind = ?", notify.DigestKind).Count(&digests)
		dbs[0].R.Table("reminders_sent").Count(&items)
		if digests != people || items != people || written[0]+written[1] != people {
			t.Fatalf("digests %d, items %d, written %v; want %d each", digests, items, written, people)
		}
	})
}
