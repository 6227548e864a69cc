package evidence_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/events"
	"github.com/upskill/upskill/internal/evidence"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/outbound"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// backlog writes n attempt.submitted events for learners users, as the
// domain would (in transactions of 1000), for one webhook endpoint that a
// local receiver answers with 204. It returns the dispatcher, set up as
// serve sets it up (batch 32, 4 at once), and the receiver's count.
func backlog(b *testing.B, db *store.DB, n, learners int) (*outbox.Dispatcher, *atomic.Int64) {
	b.Helper()
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	set, _ := keys.NewSet(priv)
	svc := evidence.New(db, evidence.Options{BaseURL: "https://upskill.example", RecordKeys: set,
		Policy: outbound.MustParse("127.0.0.1")})
	if _, err := svc.CreateWebhook(context.Background(), "bench", srv.URL, []string{events.AttemptSubmitted}); err != nil {
		b.Fatal(err)
	}
	sink := events.Sink(svc.Emit)
	now := time.Now().UTC()
	for start := 0; start < n; start += 1000 {
		err := db.Tx(context.Background(), func(tx *gorm.DB) error {
			for i := start; i < min(start+1000, n); i++ {
				uid := "learner-" + strconv.Itoa(i%learners)
				if err := sink.Emit(tx, events.Event{Type: events.AttemptSubmitted, UserID: uid, At: now,
					Data: map[string]any{"attempt_id": strconv.Itoa(i), "user_id": uid, "module": "fair-ai",
						"revision": 1, "score": 80, "passed": true}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	d := outbox.NewDispatcher(db, outbox.Options{})
	d.Register(evidence.TargetWebhook, svc.WebhookDeliverer())
	return d, &got
}

func drainAll(b *testing.B, d *outbox.Dispatcher) {
	for {
		n, err := d.RunOnce(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// BenchmarkWebhookDelivery measures signed webhook deliveries per second
// to a local receiver through the outbox (claim, sign, POST, record), on
// SQLite, and on PostgreSQL when UPSKILL_TEST_DATABASE_URL is set.
// UPSKILL_BENCH_EVENTS sets the number of events (default 100000: the
// figure is then the drain time of a 100,000-event backlog).
func BenchmarkWebhookDelivery(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("UPSKILL_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	dbs := map[string]func(testing.TB) *store.DB{"sqlite": storetest.SQLite}
	if os.Getenv("UPSKILL_TEST_DATABASE_URL") != "" {
		dbs["postgres"] = storetest.Postgres
	}
	for name, open := range dbs {
		b.Run(fmt.Sprintf("%s/events=%d", name, n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db := open(b)
				d, got := backlog(b, db, n, 1000)
				b.StartTimer()
				start := time.Now()
				drainAll(b, d)
				took := time.Since(start)
				b.StopTimer()
				if got.Load() != int64(n) {
					b.Fatalf("%d of %d delivered", got.Load(), n)
				}
				b.ReportMetric(float64(n)/took.Seconds(), "events/s")
				b.ReportMetric(took.Seconds(), "drain-s")
				b.StartTimer()
			}
		})
	}
}
