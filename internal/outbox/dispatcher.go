package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"os"
	"sort"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/store"
)

// Options tune a Dispatcher; zero values take the defaults in brackets.
type Options struct {
	// Now is the clock [time.Now].
	Now func() time.Time
	// Jitter returns a number in [0, 1) that spreads retries [math/rand].
	Jitter func() float64
	// Worker names this dispatcher in the rows it claims [host-pid-random].
	Worker string
	// Batch is how many rows one claim takes [32].
	Batch int
	// Concurrency is how many deliveries run at once [4].
	Concurrency int
	// Poll is how often the dispatcher looks for due rows when nobody
	// wakes it [2s].
	Poll time.Duration
	// Lease is how long a claim holds a row; a crashed worker's rows are
	// taken up by others after it [2m]. It must exceed Timeout.
	Lease time.Duration
	// Timeout bounds one delivery [30s].
	Timeout time.Duration
	// BaseBackoff is the wait after the first failure; each further failure
	// doubles it [30s], up to MaxBackoff [1h].
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Log gets one line per failed attempt and per row given up [discard].
	Log *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = mrand.Float64
	}
	if o.Worker == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.Worker = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if o.Batch <= 0 {
		o.Batch = 32
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Lease <= o.Timeout {
		o.Lease = max(2*time.Minute, 2*o.Timeout)
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 30 * time.Second
	}
	if o.MaxBackoff < o.BaseBackoff {
		o.MaxBackoff = max(time.Hour, o.BaseBackoff)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Dispatcher claims due rows and hands them to their deliverers. Several
// dispatchers may run against one PostgreSQL database (claims skip rows
// another holds); on SQLite one runs in the serving process.
type Dispatcher struct {
	db         *store.DB
	opt        Options
	deliverers map[string]Deliverer
	wake       chan struct{}
}

// NewDispatcher returns a dispatcher with no deliverers yet.
func NewDispatcher(db *store.DB, opt Options) *Dispatcher {
	return &Dispatcher{db: db, opt: opt.withDefaults(), deliverers: map[string]Deliverer{},
		wake: make(chan struct{}, 1)}
}

// Register makes dl the deliverer for target. Rows for targets nobody
// registered stay pending for a process that has a deliverer for them.
// Register before Run.
func (d *Dispatcher) Register(target string, dl Deliverer) { d.deliverers[target] = dl }

// Wake asks a running dispatcher to look for due rows now, as a caller
// does after committing a row that should go out at once. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends. Deliveries in flight then finish (each is
// bounded by Timeout); rows claimed but not started are released for
// another worker at once.
func (d *Dispatcher) Run(ctx context.Context) error {
	if len(d.deliverers) == 0 {
		<-ctx.Done()
		return nil
	}
	if d.db.Dialect == store.SQLite {
		// One process serves a SQLite database, so any claim found at start
		// was held by a process that died: free it now rather than after
		// its lease.
		if err := d.db.W.WithContext(ctx).Model(&Row{}).Where("status = ? AND locked_by <> ''", Pending).
			Updates(map[string]any{"locked_until": nil, "locked_by": ""}).Error; err != nil {
			d.opt.Log.Error("outbox: could not free stale claims", "err", err)
		}
	}
	t := time.NewTicker(d.opt.Poll)
	defer t.Stop()
	for {
		for {
			n, err := d.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				d.opt.Log.Error("outbox: claim failed", "err", err)
			}
			// A full batch means more may be due: claim again at once.
			if err != nil || n < d.opt.Batch || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return d.release()
		case <-t.C:
		case <-d.wake:
		}
	}
}

// RunOnce claims one batch of due rows, delivers them and records the
// results; it returns how many rows it claimed.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	rows, err := d.claim(ctx)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, d.opt.Concurrency)
	var wg sync.WaitGroup
	for _, r := range rows {
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			break // the rest are released below
		}
		wg.Add(1)
		go func(r Row) {
			defer func() { <-sem; wg.Done() }()
			d.deliver(ctx, r)
		}(r)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return len(rows), d.release()
	}
	return len(rows), nil
}

// claim takes up to Batch due rows for the registered targets, skipping
// rows another worker holds and rows that must wait for an earlier pending
// row with the same target and key.
func (d *Dispatcher) claim(ctx context.Context) ([]Row, error) {
	now := store.Timestamp(d.opt.Now())
	targets := make([]string, 0, len(d.deliverers))
	for t := range d.deliverers {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	q := `SELECT * FROM outbox o
WHERE o.status = 'pending' AND o.next_attempt_at <= ? AND o.target IN ?
  AND (o.locked_until IS NULL OR o.locked_until <= ?)
  AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.target = o.target
      AND e.ordering_key = o.ordering_key AND e.status = 'pending' AND e.id < o.id)
ORDER BY o.next_attempt_at, o.id LIMIT ?`
	if d.db.Dialect == store.Postgres {
		// The same rows, asked so that PostgreSQL's planner cannot turn the
		// NOT EXISTS into an anti-join over every pending row twice (a
		// second per claim with a 100,000-row backlog): each (target, key)'s
		// first pending row, found once through the partial index
		// outbox_pending_order. Migration 00013.
		q = `SELECT * FROM outbox o
WHERE o.id IN (SELECT min(h.id) FROM outbox h WHERE h.status = 'pending' AND h.target IN ?
      GROUP BY h.target, h.ordering_key)
  AND o.status = 'pending' AND o.next_attempt_at <= ?
  AND (o.locked_until IS NULL OR o.locked_until <= ?)
ORDER BY o.next_attempt_at, o.id LIMIT ? FOR UPDATE OF o SKIP LOCKED`
	}
	var rows []Row
	err := d.db.Tx(ctx, func(tx *gorm.DB) error {
		args := []any{now, targets, now, d.opt.Batch}
		if d.db.Dialect == store.Postgres {
			args = []any{targets, now, now, d.opt.Batch}
		}
		if err := tx.Raw(q, args...).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		until := now.Add(d.opt.Lease)
		return tx.Model(&Row{}).Where("id IN ?", ids).
			Updates(map[string]any{"locked_until": until, "locked_by": d.opt.Worker}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return rows, nil
}

// deliver hands r to its deliverer and records what happened. The delivery
// and the record outlive ctx: a message half sent is finished and written
// down, not abandoned.
func (d *Dispatcher) deliver(ctx context.Context, r Row) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opt.Timeout)
	defer cancel()
	c := Claimed{ID: r.ID, Target: r.Target, Kind: r.Kind, Key: r.OrderingKey,
		Payload: []byte(r.Payload), Attempt: r.Attempts + 1, CreatedAt: r.CreatedAt.UTC()}
	err := d.callDeliverer(dctx, c)
	if rerr := d.record(context.WithoutCancel(ctx), r, err); rerr != nil {
		// The claim runs out and another attempt follows: at least once.
		d.opt.Log.Error("outbox: recording a delivery failed", "id", r.ID, "err", rerr)
	}
}

// callDeliverer turns a deliverer's panic into a failed attempt, so one
// bad message cannot take the process down.
func (d *Dispatcher) callDeliverer(ctx context.Context, c Claimed) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("deliverer panicked: %v", p)
		}
	}()
	dl, ok := d.deliverers[c.Target]
	if !ok {
		return fmt.Errorf("no deliverer for target %q", c.Target)
	}
	return dl.Deliver(ctx, c)
}

func (d *Dispatcher) record(ctx context.Context, r Row, derr error) error {
	now := store.Timestamp(d.opt.Now())
	set := map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_attempt_at": now,
		"locked_until": nil, "locked_by": ""}
	if derr == nil {
		set["status"], set["delivered_at"], set["last_error"] = Delivered, now, ""
	} else {
		next := now.Add(d.backoff(r.Attempts + 1))
		set["last_error"] = clip(derr)
		if IsPermanent(derr) || next.After(r.GiveUpAt) {
			set["status"] = Failed
			d.opt.Log.Warn("outbox: gave up on a delivery", "id", r.ID, "target", r.Target,
				"kind", r.Kind, "attempts", r.Attempts+1, "err", set["last_error"])
		} else {
			set["next_attempt_at"] = next
			d.opt.Log.Info("outbox: delivery failed, will retry", "id", r.ID, "target", r.Target,
				"kind", r.Kind, "attempt", r.Attempts+1, "next", next, "err", set["last_error"])
		}
	}
	// Only the holder of the claim records; a worker whose lease ran out
	// (and whose row another worker took) leaves the row to that worker.
	res := d.db.W.WithContext(ctx).Model(&Row{}).
		Where("id = ? AND locked_by = ? AND status = ?", r.ID, d.opt.Worker, Pending).Updates(set)
	return res.Error
}

// backoff is the wait before attempt n+1 after n failures: BaseBackoff
// doubled per failure up to MaxBackoff, then spread over its upper half so
// that many rows failing together do not retry together.
func (d *Dispatcher) backoff(failures int) time.Duration {
	exp := math.Min(float64(failures-1), 30)
	wait := time.Duration(math.Min(float64(d.opt.BaseBackoff)*math.Pow(2, exp), float64(d.opt.MaxBackoff)))
	return wait/2 + time.Duration(d.opt.Jitter()*float64(wait/2))
}

// release gives back the rows this worker claimed but did not deliver.
func (d *Dispatcher) release() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := d.db.W.WithContext(ctx).Model(&Row{}).
		Where("locked_by = ? AND status = ?", d.opt.Worker, Pending).
		Updates(map[string]any{"locked_until": nil, "locked_by": ""}).Error
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("outbox: release claims: %w", err)
	}
	return nil
}
