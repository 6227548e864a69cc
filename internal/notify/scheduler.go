package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/upskill/upskill/internal/store"
)

// Scheduler runs the daily digests inside serve: once the company's local
// clock passes Hour, it plans and enqueues that day's digests. Every
// replica runs one, and one at a time leads (a PostgreSQL advisory lock);
// even without that, the digest's de-duplication key (one per person per
// day) and reminders_sent decide who writes, so nothing goes twice.
type Scheduler struct {
	Service *Service
	Hour    int // local hour, 0–23
	Now     func() time.Time
	Every   time.Duration // how often the clock is checked [1m]
	Log     *slog.Logger
	// Wake is called after digests were written, to start delivery.
	Wake func()
	// NoDigests skips the digests (no mail relay) while Events still run.
	NoDigests bool
	// Events, when set, enqueues the day's record.expiring, record.expired
	// and assignment.overdue events under the same lead (internal/evidence);
	// it returns how many it wrote.
	Events func(ctx context.Context, now time.Time) (int, error)

	done string // the local day whose digests this process wrote
}

// Due reports whether the digests of now's local day should go now.
func (sc *Scheduler) Due(now time.Time) bool {
	local := now.In(sc.Service.opt.Location)
	return local.Hour() >= sc.Hour && sc.Service.Day(now) != sc.done
}

// RunOnce writes today's digests when they are due and not yet written by
// this process; it returns how many it wrote.
func (sc *Scheduler) RunOnce(ctx context.Context) (int, error) {
	now := sc.Now()
	if !sc.Due(now) {
		return 0, nil
	}
	n := 0
	led, err := sc.Service.db.AsLeader(ctx, store.LeaderReminders, func(ctx context.Context) error {
		if sc.Events != nil {
			m, err := sc.Events(ctx, now)
			n += m
			if err != nil {
				return err
			}
		}
		if sc.NoDigests {
			return nil
		}
		digests, err := sc.Service.Plan(ctx, now)
		if err != nil {
			return err
		}
		m, err := sc.Service.Enqueue(ctx, now, digests)
		n += m
		return err
	})
	if err != nil || !led {
		// Another replica leads now; this one checks again next time, and
		// finds the day's digests written.
		return n, err
	}
	sc.done = sc.Service.Day(now)
	if n > 0 && sc.Wake != nil {
		sc.Wake()
	}
	return n, nil
}

// Run checks the clock until ctx ends.
func (sc *Scheduler) Run(ctx context.Context) {
	every := sc.Every
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := sc.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			sc.Log.Error("reminders: digests failed; will try again", "err", err)
		case n > 0:
			sc.Log.Info("reminders: digests queued", "digests", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
