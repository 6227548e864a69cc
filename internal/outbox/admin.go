package outbox

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
)

// Filter narrows a listing of deliveries; empty fields match everything.
type Filter struct {
	Status Status
	Target string
}

// ParseStatus checks a status named by a client.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case "", Pending, Delivered, Failed:
		return st, nil
	}
	return "", fault.BadField("status must be pending, delivered or failed", "status", "must be pending, delivered or failed")
}

// List returns deliveries newest first, never their payloads.
func List(ctx context.Context, db *store.DB, f Filter, p page.Request) ([]Delivery, string, error) {
	p = p.OrDefault()
	q := db.R.WithContext(ctx).Model(&Row{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Target != "" {
		q = q.Where("target = ?", f.Target)
	}
	if p.Cursor != "" {
		id, err := strconv.ParseInt(p.Cursor, 10, 64)
		if err != nil {
			return nil, "", page.ErrBadCursor
		}
		q = q.Where("id < ?", id)
	}
	var rows []Row
	if err := q.Order("id DESC").Limit(p.Limit + 1).Find(&rows).Error; err != nil {
		return nil, "", fault.Wrap(err, "could not read the deliveries")
	}
	rows, next := page.Trim(rows, p.Limit, func(r Row) string { return strconv.FormatInt(r.ID, 10) })
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.delivery()
	}
	return out, next, nil
}

// Retry puts a failed row back in the queue for an attempt now, with
// maxAge more to succeed, and audits who asked. A pending or delivered row
// is a conflict: retrying it could only send it twice.
func Retry(ctx context.Context, db *store.DB, now time.Time, maxAge time.Duration, actor string, id int64) (Delivery, error) {
	now = store.Timestamp(now)
	var row Row
	err := db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&row, id).Error; err != nil {
			if store.IsNotFound(err) {
				return fault.New(fault.NotFound, "no delivery %d", id)
			}
			return err
		}
		if row.Status != Failed {
			return fault.Typed(fault.Conflict, "delivery-not-failed",
				"delivery %d is %s; only failed deliveries can be retried", id, row.Status)
		}
		row.Status, row.NextAttemptAt, row.GiveUpAt = Pending, now, now.Add(maxAge)
		row.LockedUntil, row.LockedBy = nil, ""
		if err := tx.Model(&Row{}).Where("id = ?", id).Updates(map[string]any{
			"status": Pending, "next_attempt_at": now, "give_up_at": row.GiveUpAt,
			"locked_until": nil, "locked_by": ""}).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.DeliveryRetried, "delivery:"+strconv.FormatInt(id, 10),
			map[string]any{"target": row.Target, "kind": row.Kind, "attempts": row.Attempts})
	})
	if err != nil {
		return Delivery{}, fault.Ensure(err, "could not retry the delivery")
	}
	return row.delivery(), nil
}

// Counts returns how many rows stand in each status, for metrics and the
// readiness of an operator's dashboard.
func Counts(ctx context.Context, db *store.DB) (map[Status]int64, error) {
	var rows []struct {
		Status Status
		N      int64
	}
	if err := db.R.WithContext(ctx).Model(&Row{}).Select("status, count(*) AS n").
		Group("status").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[Status]int64{Pending: 0, Delivered: 0, Failed: 0}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}
