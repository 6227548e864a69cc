package evidence

import (
	"context"
	"fmt"
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
		// Only webhooks take these events (xAPI statements are for attempts
		// and records issued): with no endpoint wanting one, the day's
		// events are not even worked out, which for a large company means
		// reading every assignment and record into memory.
		want, err := s.subscribed(ctx, events.RecordExpiring, events.RecordExpired, events.AssignmentOverdue)
		if err != nil || !want {
			return 0, err
		}
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

// subscribed reports whether any webhook endpoint wants one of types.
func (s *Service) subscribed(ctx context.Context, types ...string) (bool, error) {
	var hooks []webhookRow
	if err := s.db.R.WithContext(ctx).Select("id, events").Find(&hooks).Error; err != nil {
		return false, fmt.Errorf("evidence: read webhooks: %w", err)
	}
	for _, h := range hooks {
		if h.wants(types...) {
			return true, nil
		}
	}
	return false, nil
}
