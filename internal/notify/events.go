package notify

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/upskill/upskill/internal/events"
	"github.com/upskill/upskill/internal/store"
)

// Events works out the day's scheduled events as of now: assignment.overdue
// once per assignment and due date, record.expiring once per record and
// expiry day (the reminder's own key), record.expired once per record. Each
// carries a DedupKey, so running it again (another replica, a restart, the
// next day) writes nothing twice. People's reminder settings do not apply:
// these go to systems, not to the person.
func (s *Service) Events(ctx context.Context, now time.Time) ([]events.Event, error) {
	now = store.Timestamp(now)
	byUser := map[string][]Item{}
	if err := s.assignmentItems(ctx, now, byUser); err != nil {
		return nil, err
	}
	if err := s.expiryItems(ctx, now, byUser); err != nil {
		return nil, err
	}
	var out []events.Event
	for uid, items := range byUser {
		for _, it := range items {
			switch it.Kind {
			case Overdue:
				out = append(out, events.Event{Type: events.AssignmentOverdue, UserID: uid, At: now,
					DedupKey: fmt.Sprintf("%s:%s:%s", Overdue, it.Ref, s.Day(it.Date)),
					Data:     map[string]any{"assignment_id": it.Ref, "user_id": uid, "module": it.Module, "due_at": it.Date.UTC()}})
			case Expiring:
				out = append(out, events.Event{Type: events.RecordExpiring, UserID: uid, At: now, DedupKey: it.Key + ":" + it.Ref,
					Data: map[string]any{"record_id": it.Ref, "user_id": uid, "module": it.Module, "expires_at": it.Date.UTC()}})
			}
		}
	}
	expired, err := s.expiredEvents(ctx, now)
	if err != nil {
		return nil, err
	}
	out = append(out, expired...)
	// Per learner in the order things happen, so deliveries keep it.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].UserID != out[j].UserID {
			return out[i].UserID < out[j].UserID
		}
		return out[i].DedupKey < out[j].DedupKey
	})
	return out, nil
}

// expiredEvents are the records that passed their expiry in the last 30
// days, unrevoked and not superseded by a newer record of the module.
func (s *Service) expiredEvents(ctx context.Context, now time.Time) ([]events.Event, error) {
	q := `SELECT r.id, r.user_id, r.module, r.expires_at FROM records r
WHERE r.revoked_at IS NULL AND r.expires_at <= ? AND r.expires_at > ?
  AND NOT EXISTS (SELECT 1 FROM records n WHERE n.user_id = r.user_id AND n.module = r.module
      AND n.revoked_at IS NULL AND n.cycle > r.cycle)`
	rows, err := s.db.R.WithContext(ctx).Raw(q, now, now.Add(-30*24*time.Hour)).Rows()
	if err != nil {
		return nil, fmt.Errorf("notify: read expired records: %w", err)
	}
	defer rows.Close()
	var out []events.Event
	for rows.Next() {
		var rid, uid, module string
		var exp time.Time
		if err := rows.Scan(&rid, &uid, &module, &exp); err != nil {
			return nil, fmt.Errorf("notify: read expired records: %w", err)
		}
		out = append(out, events.Event{Type: events.RecordExpired, UserID: uid, At: now, DedupKey: "expired:" + rid,
			Data: map[string]any{"record_id": rid, "user_id": uid, "module": module, "expires_at": exp.UTC()}})
	}
	return out, rows.Err()
}
