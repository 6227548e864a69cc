package evidence

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/events"
	"github.com/upskill/upskill/internal/notify"
)

// Scheduled returns the reminders scheduler's hook: it writes the day's
// record.expiring, record.expired and assignment.overdue events, each at
// most once (their de-duplication keys), and returns how many it handed
// on.
func (s *Service) Scheduled(rem *notify.Service) func(ctx context.Context, now time.Time) (int, error) {
	return func(ctx context.Context, now time.Time) (int, error) {
		evs, err := rem.Events(ctx, now)
		if err != nil {
			return 0, err
		}
		sink := events.Sink(s.Emit)
		for start := 0; start < len(evs); start += 200 {
			batch := evs[start:min(start+200, len(evs))]
			if err := s.db.Tx(ctx, func(tx *gorm.DB) error {
				for _, ev := range batch {
					if err := sink.Emit(tx, ev); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return start, err
			}
		}
		return len(evs), nil
	}
}
