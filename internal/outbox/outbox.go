// Package outbox owns the delivery of everything upskill sends to the
// outside world. A message is first a row in the outbox table, written by
// Enqueue in the same transaction as the change that causes it, so the two
// commit together or not at all. A Dispatcher then hands each row to the
// Deliverer registered for its target, at least once, retrying with
// exponential backoff and jitter until it succeeds or its time runs out.
//
// The outbox knows nothing of what it delivers: a row holds a target, a kind
// and a payload of ids. Deliverers render the message when they send it, so
// no row ever holds a rendered message or a live token.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/upskill/upskill/internal/store"
)

// Status is where a row stands.
type Status string

const (
	// Pending rows wait for their next attempt, or are being delivered.
	Pending Status = "pending"
	// Delivered rows were accepted by their deliverer.
	Delivered Status = "delivered"
	// Failed rows ran out of time or met a permanent error; an admin may
	// retry them.
	Failed Status = "failed"
)

// Row is one outbox row as stored.
type Row struct {
	ID            int64     `gorm:"primaryKey"`
	Target        string    `gorm:"not null"`
	Kind          string    `gorm:"not null"`
	OrderingKey   string    `gorm:"not null"`
	Payload       string    `gorm:"not null"`
	DedupKey      *string   `gorm:"column:dedup_key"`
	Status        Status    `gorm:"not null"`
	Attempts      int       `gorm:"not null"`
	LastError     string    `gorm:"not null"`
	CreatedAt     time.Time `gorm:"not null"`
	NextAttemptAt time.Time `gorm:"not null"`
	GiveUpAt      time.Time `gorm:"not null"`
	LastAttemptAt *time.Time
	DeliveredAt   *time.Time
	LockedUntil   *time.Time
	LockedBy      string `gorm:"not null"`
}

// TableName is the outbox table.
func (Row) TableName() string { return "outbox" }

// Message is what Enqueue writes.
type Message struct {
	// Target names the deliverer ("mail", "webhook").
	Target string
	// Kind tells the deliverer what to send ("invitation", "digest").
	Kind string
	// Key orders rows: those with one (Target, Key) go out in the order
	// they were written. A user id, usually.
	Key string
	// Payload is marshalled to JSON; ids only, never secrets.
	Payload any
	// DedupKey, when set, makes Enqueue a no-op if a row with the same key
	// was ever written.
	DedupKey string
	// NotBefore delays the first attempt; zero means at once.
	NotBefore time.Time
}

// maxErrorLen bounds the stored last error: enough to diagnose, never a
// whole server reply.
const maxErrorLen = 500

// Enqueue writes m inside tx at time now, with maxAge as the time after
// which the dispatcher gives up. It reports whether a row was written: false
// means a row with m's DedupKey already exists.
func Enqueue(tx *gorm.DB, now time.Time, maxAge time.Duration, m Message) (bool, error) {
	if m.Target == "" || m.Kind == "" || m.Key == "" {
		return false, errors.New("outbox: a message needs a target, a kind and a key")
	}
	payload, err := json.Marshal(m.Payload)
	if err != nil {
		return false, fmt.Errorf("outbox: payload: %w", err)
	}
	if m.Payload == nil {
		payload = []byte("{}")
	}
	now = store.Timestamp(now)
	first := now
	if m.NotBefore.After(now) {
		first = store.Timestamp(m.NotBefore)
	}
	row := Row{Target: m.Target, Kind: m.Kind, OrderingKey: m.Key, Payload: string(payload),
		Status: Pending, CreatedAt: now, NextAttemptAt: first, GiveUpAt: first.Add(maxAge)}
	if m.DedupKey != "" {
		row.DedupKey = &m.DedupKey
	}
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedup_key"}}, DoNothing: true}).Create(&row)
	if res.Error != nil {
		return false, fmt.Errorf("outbox: enqueue: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// Delivery is a row as admins see it: never the payload.
type Delivery struct {
	ID            int64      `json:"id"`
	Target        string     `json:"target"`
	Kind          string     `json:"kind"`
	Status        Status     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error"`
	CreatedAt     time.Time  `json:"created_at"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	DeliveredAt   *time.Time `json:"delivered_at"`
}

func (r Row) delivery() Delivery {
	d := Delivery{ID: r.ID, Target: r.Target, Kind: r.Kind, Status: r.Status, Attempts: r.Attempts,
		LastError: r.LastError, CreatedAt: r.CreatedAt.UTC(), LastAttemptAt: utcPtr(r.LastAttemptAt),
		DeliveredAt: utcPtr(r.DeliveredAt)}
	if r.Status == Pending {
		next := r.NextAttemptAt.UTC()
		d.NextAttemptAt = &next
	}
	return d
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// clip makes err storable: one line of valid UTF-8, at most maxErrorLen bytes.
func clip(err error) string {
	s := strings.ToValidUTF8(err.Error(), "?")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxErrorLen {
		cut := maxErrorLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// Deliverer sends one kind of message. Deliver must be safe to call again
// for a message it already sent (delivery is at least once); it returns
// Permanent(err) when trying again cannot help.
type Deliverer interface {
	Deliver(ctx context.Context, m Claimed) error
}

// DelivererFunc adapts a function to Deliverer.
type DelivererFunc func(ctx context.Context, m Claimed) error

// Deliver calls f.
func (f DelivererFunc) Deliver(ctx context.Context, m Claimed) error { return f(ctx, m) }

// Claimed is a row handed to a deliverer.
type Claimed struct {
	ID      int64
	Target  string
	Kind    string
	Key     string
	Payload json.RawMessage
	// Attempt counts from 1.
	Attempt   int
	CreatedAt time.Time
}

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as one that no retry can cure (a malformed address,
// a deleted user): the row fails at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}
