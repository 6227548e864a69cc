// Package events names what upskill tells the outside world happened:
// records issued, revoked, expiring and expired; assignments created and
// overdue; quiz attempts submitted. The domain packages hand an Event to a
// Sink inside the transaction that causes it, so the event commits with
// its cause or not at all; internal/evidence turns it into outbox rows
// (webhooks, xAPI statements).
package events

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Event types.
const (
	RecordIssued      = "record.issued"
	RecordRevoked     = "record.revoked"
	RecordExpiring    = "record.expiring"
	RecordExpired     = "record.expired"
	AssignmentCreated = "assignment.created"
	AssignmentOverdue = "assignment.overdue"
	AttemptSubmitted  = "attempt.submitted"
)

// Types lists every event type, in the order the README documents them.
var Types = []string{RecordIssued, RecordRevoked, RecordExpiring, RecordExpired,
	AssignmentCreated, AssignmentOverdue, AttemptSubmitted}

// Known reports whether t is an event type.
func Known(t string) bool {
	for _, k := range Types {
		if k == t {
			return true
		}
	}
	return false
}

// Event is one thing that happened to one learner.
type Event struct {
	// ID is fixed when the event is made: the webhook-id of every delivery
	// of it, whatever the retries. Sink fills it when empty.
	ID     string
	Type   string
	UserID string
	At     time.Time
	// Data is the event's facts: ids, dates, scores; never a secret.
	Data map[string]any
	// DedupKey, when set, makes the event happen at most once (the
	// reminders scheduler's expiry and overdue events).
	DedupKey string
}

// Sink receives events inside their cause's transaction.
type Sink func(tx *gorm.DB, ev Event) error

// Emit hands ev to s; a nil Sink drops it (no webhooks, no LRS: the
// domain packages need not care).
func (s Sink) Emit(tx *gorm.DB, ev Event) error {
	if s == nil {
		return nil
	}
	if ev.ID == "" {
		ev.ID = uuid.Must(uuid.NewV7()).String()
	}
	ev.At = ev.At.UTC()
	return s(tx, ev)
}
