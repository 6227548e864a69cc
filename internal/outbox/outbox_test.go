package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/clock"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

const maxAge = 24 * time.Hour

// sink is a deliverer that records what it was given and fails while
// told to.
type sink struct {
	mu    sync.Mutex
	got   []outbox.Claimed
	fail  map[string]error // by key
	calls int
}

func (s *sink) Deliver(_ context.Context, m outbox.Claimed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if err := s.fail[m.Key]; err != nil {
		return err
	}
	s.got = append(s.got, m)
	return nil
}

func (s *sink) setFail(key string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail == nil {
		s.fail = map[string]error{}
	}
	if err == nil {
		delete(s.fail, key)
	} else {
		s.fail[key] = err
	}
}

func (s *sink) delivered() []outbox.Claimed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]outbox.Claimed(nil), s.got...)
}

func enqueue(t *testing.T, db *store.DB, now time.Time, m outbox.Message) bool {
	t.Helper()
	var wrote bool
	err := db.Tx(context.Background(), func(tx *gorm.DB) error {
		var err error
		wrote, err = outbox.Enqueue(tx, now, maxAge, m)
		return err
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return wrote
}

func dispatcher(db *store.DB, c *clock.Settable, s *sink, worker string) *outbox.Dispatcher {
	d := outbox.NewDispatcher(db, outbox.Options{Now: c.Now, Jitter: func() float64 { return 0.5 },
		Worker: worker, BaseBackoff: time.Minute, MaxBackoff: time.Hour})
	d.Register("mail", s)
	return d
}

func runOnce(t *testing.T, d *outbox.Dispatcher) int {
	t.Helper()
	n, err := d.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("run once: %v", err)
	}
	return n
}

func only(t *testing.T, db *store.DB, f outbox.Filter) outbox.Delivery {
	t.Helper()
	ds, _, err := outbox.List(context.Background(), db, f, page.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("want one delivery for %+v, got %d: %+v", f, len(ds), ds)
	}
	return ds[0]
}

func TestEnqueueCommitsWithTheChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		boom := errors.New("the change failed")
		err := db.Tx(context.Background(), func(tx *gorm.DB) error {
			if _, err := outbox.Enqueue(tx, t0, maxAge, outbox.Message{Target: "mail", Kind: "k", Key: "u1"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("tx: %v", err)
		}
		if ds, _, _ := outbox.List(context.Background(), db, outbox.Filter{}, page.Request{}); len(ds) != 0 {
			t.Fatalf("a rolled-back change left %d rows", len(ds))
		}
		if !enqueue(t, db, t0, outbox.Message{Target: "mail", Kind: "k", Key: "u1", DedupKey: "digest:u1:2026-11-30"}) {
			t.Fatal("first row not written")
		}
		if enqueue(t, db, t0, outbox.Message{Target: "mail", Kind: "k", Key: "u1", DedupKey: "digest:u1:2026-11-30"}) {
			t.Fatal("a second row with the same dedup key was written")
		}
		if got := only(t, db, outbox.Filter{}); got.Status != outbox.Pending || got.Attempts != 0 {
			t.Fatalf("new row: %+v", got)
		}
	})
}

func TestRetriesWithBackoffThenDelivers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := clock.At(t0)
		s := &sink{}
		d := dispatcher(db, c, s, "w1")
		enqueue(t, db, c.Now(), outbox.Message{Target: "mail", Kind: "invitation", Key: "u1",
			Payload: map[string]string{"user_id": "u1"}})
		s.setFail("u1", errors.New("421 4.3.0 try again later\r\nsecond line"))

		if n := runOnce(t, d); n != 1 {
			t.Fatalf("claimed %d, want 1", n)
		}
		got := only(t, db, outbox.Filter{})
		// First failure: BaseBackoff (1m) spread over its upper half; the
		// test's jitter of 0.5 lands at 45 s.
		if got.Status != outbox.Pending || got.Attempts != 1 || got.LastError != "421 4.3.0 try again later second line" ||
			got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(t0.Add(45*time.Second)) {
			t.Fatalf("after one failure: %+v (next %v)", got, got.NextAttemptAt)
		}
		if n := runOnce(t, d); n != 0 {
			t.Fatalf("claimed %d rows before the backoff ran out", n)
		}
		c.Advance(45 * time.Second)
		runOnce(t, d)
		got = only(t, db, outbox.Filter{})
		if got.Attempts != 2 || !got.NextAttemptAt.Equal(c.Now().Add(90*time.Second)) {
			t.Fatalf("second failure should double the wait: %+v next %v", got, got.NextAttemptAt)
		}
		s.setFail("u1", nil)
		c.Advance(90 * time.Second)
		runOnce(t, d)
		got = only(t, db, outbox.Filter{})
		if got.Status != outbox.Delivered || got.Attempts != 3 || got.LastError != "" || got.NextAttemptAt != nil ||
			got.DeliveredAt == nil || !got.DeliveredAt.Equal(c.Now()) {
			t.Fatalf("after success: %+v", got)
		}
		ds := s.delivered()
		if len(ds) != 1 || ds[0].Attempt != 3 || string(ds[0].Payload) != `{"user_id":"u1"}` || ds[0].Kind != "invitation" {
			t.Fatalf("deliverer got %+v", ds)
		}
		if n := runOnce(t, d); n != 0 {
			t.Fatalf("a delivered row was claimed again (%d)", n)
		}
	})
}

func TestGivesUpThenAdminRetries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := clock.At(t0)
		s := &sink{}
		d := dispatcher(db, c, s, "w1")
		enqueue(t, db, c.Now(), outbox.Message{Target: "mail", Kind: "digest", Key: "u1"})
		enqueue(t, db, c.Now(), outbox.Message{Target: "mail", Kind: "digest", Key: "u2"})
		s.setFail("u1", errors.New("connection refused"))
		s.setFail("u2", outbox.Permanent(errors.New("550 no such mailbox")))

		runOnce(t, d)
		if got := only(t, db, outbox.Filter{Status: outbox.Failed}); got.Kind != "digest" || got.Attempts != 1 ||
			got.LastError != "550 no such mailbox" || got.NextAttemptAt != nil {
			t.Fatalf("a permanent error should fail at once: %+v", got)
		}
		// Keep failing until a day has passed: the row gives up.
		for i := 0; i < 40 && c.Now().Before(t0.Add(maxAge+2*time.Hour)); i++ {
			c.Advance(time.Hour)
			runOnce(t, d)
		}
		ds, _, _ := outbox.List(context.Background(), db, outbox.Filter{Status: outbox.Failed}, page.Request{})
		if len(ds) != 2 {
			t.Fatalf("want both rows failed after a day, got %+v", ds)
		}
		retried := ds[1] // newest first: u1's row is the older
		if retried.LastError != "connection refused" || retried.Attempts < 5 {
			t.Fatalf("the retried row: %+v", retried)
		}
		attempts := retried.Attempts

		_, err := outbox.Retry(context.Background(), db, c.Now(), maxAge, "admin-1", 999)
		if fe := (*fault.Error)(nil); !errors.As(err, &fe) || fe.Code != fault.NotFound {
			t.Fatalf("retry of an unknown id: %v", err)
		}
		s.setFail("u1", nil)
		r, err := outbox.Retry(context.Background(), db, c.Now(), maxAge, "admin-1", retried.ID)
		if err != nil || r.Status != outbox.Pending || r.NextAttemptAt == nil {
			t.Fatalf("retry: %+v %v", r, err)
		}
		if _, err := outbox.Retry(context.Background(), db, c.Now(), maxAge, "admin-1", retried.ID); err == nil {
			t.Fatal("retrying a pending row should be a conflict")
		}
		runOnce(t, d)
		if got := only(t, db, outbox.Filter{Status: outbox.Delivered}); got.Attempts != attempts+1 {
			t.Fatalf("retried row: %+v", got)
		}
	})
}

func TestOneKeyGoesOutInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := clock.At(t0)
		s := &sink{}
		d := dispatcher(db, c, s, "w1")
		for i, key := range []string{"u1", "u1", "u2", "u1"} {
			enqueue(t, db, c.Now(), outbox.Message{Target: "mail", Kind: fmt.Sprint("m", i), Key: key})
		}
		s.setFail("u1", errors.New("mailbox busy"))
		if n := runOnce(t, d); n != 2 {
			t.Fatalf("only the first row of each key may be claimed: got %d", n)
		}
		if got := s.delivered(); len(got) != 1 || got[0].Key != "u2" {
			t.Fatalf("u2 must not wait for u1: %+v", got)
		}
		// While u1's first row waits for its retry, its later rows wait too.
		s.setFail("u1", nil)
		c.Advance(10 * time.Second)
		if n := runOnce(t, d); n != 0 {
			t.Fatalf("later rows of u1 overtook its first: %d claimed", n)
		}
		c.Advance(time.Minute)
		for runOnce(t, d) > 0 {
		}
		var kinds []string
		for _, m := range s.delivered() {
			if m.Key == "u1" {
				kinds = append(kinds, m.Kind)
			}
		}
		if fmt.Sprint(kinds) != "[m0 m1 m3]" {
			t.Fatalf("u1's messages went out as %v", kinds)
		}
	})
}

func TestACrashedWorkersClaimIsTakenOver(t *testing.T) {
	storetest.Replicas(t, 2, func(t *testing.T, dbs []*store.DB) {
		c := clock.At(t0)
		enqueue(t, dbs[0], c.Now(), outbox.Message{Target: "mail", Kind: "k", Key: "u1"})
		// w1 claims the row, then its process dies before it can record
		// anything: here its database handle closes under it.
		w1 := outbox.NewDispatcher(dbs[1], outbox.Options{Now: c.Now, Worker: "w1", Lease: 5 * time.Minute})
		w1.Register("mail", outbox.DelivererFunc(func(context.Context, outbox.Claimed) error {
			return dbs[1].Close()
		}))
		_, _ = w1.RunOnce(context.Background())

		s := &sink{}
		w2 := dispatcher(dbs[0], c, s, "w2")
		if n := runOnce(t, w2); n != 0 {
			t.Fatalf("w2 took a row w1's claim still holds: %d", n)
		}
		c.Advance(5 * time.Minute)
		runOnce(t, w2)
		if got := s.delivered(); len(got) != 1 || got[0].Attempt != 1 {
			t.Fatalf("w2 should deliver the abandoned row, got %+v", got)
		}
	})
}

func TestReplicasShareTheWorkInOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("several replicas: skipped under -short")
	}
	storetest.Replicas(t, 3, func(t *testing.T, dbs []*store.DB) {
		c := clock.At(t0)
		const keys, perKey = 12, 10
		for i := range perKey {
			for k := range keys {
				enqueue(t, dbs[0], c.Now(), outbox.Message{Target: "mail", Kind: fmt.Sprint(i), Key: fmt.Sprint("u", k)})
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		order := map[string][]string{}
		var wg sync.WaitGroup
		for w, db := range dbs {
			d := outbox.NewDispatcher(db, outbox.Options{Now: c.Now, Worker: fmt.Sprint("w", w), Batch: 5})
			d.Register("mail", outbox.DelivererFunc(func(_ context.Context, m outbox.Claimed) error {
				mu.Lock()
				defer mu.Unlock()
				seen[m.ID]++
				order[m.Key] = append(order[m.Key], m.Kind)
				return nil
			}))
			wg.Add(1)
			go func() {
				defer wg.Done()
				idle := 0
				for idle < 20 {
					n, err := d.RunOnce(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					if n == 0 {
						idle++
						time.Sleep(5 * time.Millisecond) // let the others finish their batches
					} else {
						idle = 0
					}
				}
			}()
		}
		wg.Wait()
		if len(seen) != keys*perKey {
			t.Fatalf("delivered %d distinct rows, want %d", len(seen), keys*perKey)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("row %d delivered %d times", id, n)
			}
		}
		want := fmt.Sprint([]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"})
		for k, got := range order {
			if fmt.Sprint(got) != want {
				t.Errorf("key %s went out as %v", k, got)
			}
		}
	})
}

func TestShutdownReleasesClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := clock.At(t0)
		for i := range 3 {
			enqueue(t, db, c.Now(), outbox.Message{Target: "mail", Kind: "k", Key: fmt.Sprint("u", i)})
		}
		ctx, cancel := context.WithCancel(context.Background())
		started := 0
		w1 := outbox.NewDispatcher(db, outbox.Options{Now: c.Now, Worker: "w1", Concurrency: 1})
		w1.Register("mail", outbox.DelivererFunc(func(context.Context, outbox.Claimed) error {
			started++ // Concurrency 1: never concurrent
			cancel()  // shut down while this delivery is in flight
			return nil
		}))
		if err := w1.Run(ctx); err != nil {
			t.Fatalf("run: %v", err)
		}
		if started != 1 {
			t.Fatalf("deliveries started after shutdown: %d", started)
		}
		if got := only(t, db, outbox.Filter{Status: outbox.Delivered}); got.Attempts != 1 {
			t.Fatalf("the delivery in flight at shutdown should be recorded: %+v", got)
		}
		s := &sink{}
		if n := runOnce(t, dispatcher(db, c, s, "w2")); n != 2 {
			t.Fatalf("the two rows w1 did not start should be free at once, w2 claimed %d", n)
		}
	})
}
