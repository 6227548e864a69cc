// Package audit is the append-only record of who did what and when. Events
// are written in the same transaction as the change they describe, so the
// log and the data never disagree.
package audit

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
)

// Actions recorded so far.
const (
	LoginSucceeded   = "auth.login_succeeded"
	LoginFailed      = "auth.login_failed"
	RefreshReused    = "auth.refresh_token_reused"
	RefreshGrace     = "auth.refresh_token_grace"
	UserCreated      = "user.created"
	UserUpdated      = "user.updated"
	UserDisabled     = "user.disabled"
	UserEnabled      = "user.enabled"
	RolesChanged     = "user.roles_changed"
	PasswordChanged  = "user.password_changed"
	UsersImported    = "users.imported"
	ContentPublished = "content.published"
	AssignmentMade   = "assignment.made"
	AssignmentDelete = "assignment.deleted"
	ReportExported   = "report.exported"
	RecordRevoked    = "record.revoked"
	// DeliveryRetried puts a failed outbound delivery back in the queue.
	DeliveryRetried = "delivery.retried"
	// Webhook endpoints (internal/evidence): registered, deleted, secret rotated.
	WebhookCreated = "webhook.created"
	WebhookDeleted = "webhook.deleted"
	WebhookRotated = "webhook.secret_rotated"
	// Invitations and password resets.
	UserInvited        = "user.invited"
	InvitationAccepted = "user.invitation_accepted"
	ResetRequested     = "auth.password_reset_requested"
	PasswordReset      = "user.password_reset"
	// AssignmentRuleDeleted ends a standing rule (assignments it made stay).
	AssignmentRuleDeleted = "assignment_rule.deleted"
	// A module taken out of the catalogue, or put back.
	ModuleArchived   = "module.archived"
	ModuleUnarchived = "module.unarchived"
)

// Meta is what the transport knows about the request behind an event.
type Meta struct {
	RequestID string
	ClientIP  string
}

type metaKey struct{}

// WithMeta attaches request metadata to ctx for events recorded under it.
func WithMeta(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

func metaFrom(ctx context.Context) Meta {
	m, _ := ctx.Value(metaKey{}).(Meta)
	return m
}

// Event is one audit row.
type Event struct {
	ID        int64          `gorm:"primaryKey" json:"id"`
	At        time.Time      `json:"at"`
	ActorID   *string        `json:"actor_id"`
	Action    string         `json:"action"`
	Target    string         `json:"target"`
	Details   map[string]any `gorm:"serializer:json" json:"details"`
	RequestID string         `json:"request_id"`
	ClientIP  string         `gorm:"column:client_ip" json:"client_ip"`
}

// TableName is the audit table.
func (Event) TableName() string { return "audit_events" }

// Record appends an event inside tx. actor is empty for anonymous events
// such as a failed login.
func Record(ctx context.Context, tx *gorm.DB, actor, action, target string, details map[string]any) error {
	m := metaFrom(ctx)
	e := Event{At: time.Now().UTC(), Action: action, Target: target, Details: details,
		RequestID: m.RequestID, ClientIP: m.ClientIP}
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	if actor != "" {
		e.ActorID = &actor
	}
	if err := tx.WithContext(ctx).Create(&e).Error; err != nil {
		return fault.Wrap(err, "could not write the audit log")
	}
	return nil
}

// Filter narrows a listing.
type Filter struct {
	Action, Actor string
	From, To      *time.Time
}

// List returns events newest first.
func List(ctx context.Context, db *store.DB, f Filter, p page.Request) ([]Event, string, error) {
	q := db.R.WithContext(ctx).Model(&Event{})
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Actor != "" {
		q = q.Where("actor_id = ?", f.Actor)
	}
	if f.From != nil {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("at < ?", f.To.UTC())
	}
	if p.Cursor != "" {
		id, err := strconv.ParseInt(p.Cursor, 10, 64)
		if err != nil {
			return nil, "", page.ErrBadCursor
		}
		q = q.Where("id < ?", id)
	}
	var events []Event
	if err := q.Order("id DESC").Limit(p.Limit + 1).Find(&events).Error; err != nil {
		return nil, "", fault.Wrap(err, "could not read the audit log")
	}
	events, next := page.Trim(events, p.Limit, func(e Event) string { return strconv.FormatInt(e.ID, 10) })
	return events, next, nil
}

// MarshalDetails is a helper for tests and tools that print details.
func MarshalDetails(d map[string]any) string {
	b, _ := json.Marshal(d)
	return string(b)
}
