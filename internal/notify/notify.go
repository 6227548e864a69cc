// Package notify decides who is reminded of what each day, and writes one
// digest per person per day into the outbox: new assignments, due dates
// drawing near, overdue modules (then weekly), and records about to expire.
// Each reminder item is remembered in reminders_sent in the same
// transaction as the digest, so no reminder goes twice, whatever the
// number of replicas or restarts.
package notify

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/store"
)

// Kinds of reminder item, in the order a digest lists them.
const (
	Overdue  = "overdue"  // always sent, whatever the person's preference
	DueSoon  = "due_soon" // the due date is within RemindBeforeDue
	Assigned = "assigned" // a new assignment
	Expiring = "expiring" // a record expires within RemindBeforeExpiry
	// TeamOverdue goes to a line manager: a direct report's assignment is
	// overdue (then weekly, like the report's own notice). Optional.
	TeamOverdue = "team_overdue"
	// Policy: a policy's current version waits for the person's
	// acknowledgement (internal/policies); reminded weekly.
	Policy = "policy"
)

var kindOrder = map[string]int{Overdue: 0, DueSoon: 1, Assigned: 2, Expiring: 3, TeamOverdue: 4, Policy: 5}

// Source adds reminder items that other packages know of (unacknowledged
// policies), by user id, as of now.
type Source func(ctx context.Context, now time.Time) (map[string][]Item, error)

// DigestKind is the outbox kind of a digest.
const DigestKind = "digest"

// Options tune reminders; zero values take the defaults in brackets.
type Options struct {
	// RemindBeforeDue [3 days] and RemindBeforeExpiry [30 days].
	RemindBeforeDue    time.Duration
	RemindBeforeExpiry time.Duration
	// Location is the company's time zone: a digest belongs to a local day
	// [UTC].
	Location *time.Location
	// NewFor is how long an assignment counts as new [7 days]: older ones
	// (made before reminders were switched on, say) are not announced.
	NewFor time.Duration
	// GiveUp is the outbox's retry budget for a digest [48h].
	GiveUp time.Duration
	// Target is the outbox target [mail].
	Target string
}

func (o Options) withDefaults() Options {
	if o.RemindBeforeDue <= 0 {
		o.RemindBeforeDue = 3 * 24 * time.Hour
	}
	if o.RemindBeforeExpiry <= 0 {
		o.RemindBeforeExpiry = 30 * 24 * time.Hour
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.NewFor <= 0 {
		o.NewFor = 7 * 24 * time.Hour
	}
	if o.GiveUp <= 0 {
		o.GiveUp = 48 * time.Hour
	}
	if o.Target == "" {
		o.Target = "mail"
	}
	return o
}

// Service plans and enqueues digests.
type Service struct {
	db      *store.DB
	catalog assignments.Catalog
	opt     Options
	sources []Source
}

// AddSource makes src's items part of every digest plan.
func (s *Service) AddSource(src Source) { s.sources = append(s.sources, src) }

// New returns the reminders service.
func New(db *store.DB, cat assignments.Catalog, opt Options) *Service {
	return &Service{db: db, catalog: cat, opt: opt.withDefaults()}
}

// Item is one line of a digest.
type Item struct {
	Kind   string    `json:"kind"`
	Module string    `json:"module"`
	Title  string    `json:"title"`
	Date   time.Time `json:"date"` // the due date, or the record's expiry
	// Person is the direct report a TeamOverdue item is about (a user id;
	// the letter looks up their name when it is composed).
	Person string `json:"person,omitempty"`
	// Key makes the item unique for its person; never shown.
	Key string `json:"-"`
	// Ref is the assignment or record the item is about; never shown.
	Ref string `json:"-"`
}

// Digest is one person's digest for one local day.
type Digest struct {
	UserID string `json:"user_id"`
	Day    string `json:"day"` // YYYY-MM-DD in the company's time zone
	Items  []Item `json:"items"`
}

// Day is the local date of t in the company's time zone.
func (s *Service) Day(t time.Time) string { return t.In(s.opt.Location).Format(time.DateOnly) }

// daysBetween counts local calendar days from a to b.
func (s *Service) daysBetween(a, b time.Time) int {
	da, _ := time.ParseInLocation(time.DateOnly, s.Day(a), time.UTC)
	db, _ := time.ParseInLocation(time.DateOnly, s.Day(b), time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// Plan works out today's digests as of now: every item due to someone that
// they have not been sent, for people who are enabled and, for optional
// items, have not turned reminders off. It writes nothing.
func (s *Service) Plan(ctx context.Context, now time.Time) ([]Digest, error) {
	now = store.Timestamp(now)
	byUser := map[string][]Item{}
	if err := s.assignmentItems(ctx, now, byUser); err != nil {
		return nil, err
	}
	if err := s.expiryItems(ctx, now, byUser); err != nil {
		return nil, err
	}
	for _, src := range s.sources {
		more, err := src(ctx, now)
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		for uid, items := range more {
			byUser[uid] = append(byUser[uid], items...)
		}
	}
	if err := s.dropSentAndOptedOut(ctx, byUser); err != nil {
		return nil, err
	}
	day := s.Day(now)
	out := make([]Digest, 0, len(byUser))
	for uid, items := range byUser {
		if len(items) == 0 {
			continue
		}
		sort.Slice(items, func(i, j int) bool {
			a, b := items[i], items[j]
			if kindOrder[a.Kind] != kindOrder[b.Kind] {
				return kindOrder[a.Kind] < kindOrder[b.Kind]
			}
			if !a.Date.Equal(b.Date) {
				return a.Date.Before(b.Date)
			}
			return a.Module < b.Module
		})
		out = append(out, Digest{UserID: uid, Day: day, Items: items})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out, nil
}

// assignmentItems reads every open assignment of an enabled person with
// its Facts and turns its standing into items.
func (s *Service) assignmentItems(ctx context.Context, now time.Time, byUser map[string][]Item) error {
	// Most people of a campaign have not started: the enrollment join lets
	// their rows skip every lookup of learning rows.
	pair := assignments.Pair{User: "a.user_id", Module: "a.module", Enrolled: "e.user_id IS NOT NULL"}
	q := `SELECT a.id, a.user_id, a.module, a.due_at, a.assigned_at, a.grace_days, mgr.id, ` + pair.Columns() + `
FROM assignments a JOIN users u ON u.id = a.user_id AND u.disabled = ? AND u.erased_at IS NULL
LEFT JOIN users mgr ON mgr.id = u.manager_id AND mgr.disabled = ?
LEFT JOIN enrollments e ON e.user_id = a.user_id AND e.module = a.module
` + pair.RecordJoin()
	rows, err := s.db.R.WithContext(ctx).Raw(q, false, false).Rows()
	if err != nil {
		return fmt.Errorf("notify: read assignments: %w", err)
	}
	defer rows.Close()
	mods := s.catalog.Modules()
	for rows.Next() {
		var id, uid, module string
		var due, assigned time.Time
		var grace int
		var manager sql.NullString
		var facts assignments.FactsScan
		if err := rows.Scan(append([]any{&id, &uid, &module, &due, &assigned, &grace, &manager}, facts.Dest()...)...); err != nil {
			return fmt.Errorf("notify: read assignments: %w", err)
		}
		info, ok := mods[module]
		if !ok || info.Archived { // taken down: nothing to do about it
			continue
		}
		st := assignments.Assess(facts.Facts(&assignments.AssignmentFacts{DueAt: due.UTC(), GraceDays: grace}), now)
		if st.Status == assignments.Completed {
			continue
		}
		dueAt := st.DueAt.UTC()
		dueDay := s.Day(dueAt)
		item := Item{Module: module, Title: info.Title, Date: dueAt, Ref: id}
		switch {
		case st.Overdue:
			// Counted in the company's local days since the due date: the
			// first notice goes on the first digest after it, then one a
			// week (days 1, 8, 15… after the due date).
			week := max(s.daysBetween(dueAt, now)-1, 0) / 7
			item.Kind, item.Key = Overdue, fmt.Sprintf("%s:%s:%s:%d", Overdue, id, dueDay, week)
			if manager.Valid {
				byUser[manager.String] = append(byUser[manager.String], Item{Kind: TeamOverdue, Module: module,
					Title: info.Title, Date: dueAt, Person: uid,
					Key: fmt.Sprintf("%s:%s:%s:%d", TeamOverdue, id, dueDay, week)})
			}
		case dueAt.Sub(now) <= s.opt.RemindBeforeDue:
			item.Kind, item.Key = DueSoon, fmt.Sprintf("%s:%s:%s", DueSoon, id, dueDay)
		case now.Sub(assigned.UTC()) <= s.opt.NewFor:
			item.Kind, item.Key = Assigned, fmt.Sprintf("%s:%s", Assigned, id)
		default:
			continue
		}
		byUser[uid] = append(byUser[uid], item)
	}
	return rows.Err()
}

// expiryItems finds records whose expiry is near: the newest unrevoked
// record of each person and module, for enabled people.
func (s *Service) expiryItems(ctx context.Context, now time.Time, byUser map[string][]Item) error {
	q := `SELECT r.id, r.user_id, r.module, r.module_title, r.expires_at FROM records r
JOIN users u ON u.id = r.user_id AND u.disabled = ? AND u.erased_at IS NULL
WHERE r.revoked_at IS NULL AND r.expires_at > ? AND r.expires_at <= ?
  AND NOT EXISTS (SELECT 1 FROM records n WHERE n.user_id = r.user_id AND n.module = r.module
      AND n.revoked_at IS NULL AND n.cycle > r.cycle)`
	rows, err := s.db.R.WithContext(ctx).Raw(q, false, now, now.Add(s.opt.RemindBeforeExpiry)).Rows()
	if err != nil {
		return fmt.Errorf("notify: read records: %w", err)
	}
	defer rows.Close()
	mods := s.catalog.Modules()
	for rows.Next() {
		var rid, uid, module, title string
		var exp time.Time
		if err := rows.Scan(&rid, &uid, &module, &title, &exp); err != nil {
			return fmt.Errorf("notify: read records: %w", err)
		}
		if m, ok := mods[module]; ok {
			title = m.Title
		}
		exp = exp.UTC()
		byUser[uid] = append(byUser[uid], Item{Kind: Expiring, Module: module, Title: title, Date: exp,
			Key: fmt.Sprintf("%s:%s:%s", Expiring, module, s.Day(exp)), Ref: rid})
	}
	return rows.Err()
}

// dropSentAndOptedOut removes items already sent, and optional items of
// people who turned reminders off.
func (s *Service) dropSentAndOptedOut(ctx context.Context, byUser map[string][]Item) error {
	ids := make([]string, 0, len(byUser))
	for uid := range byUser {
		ids = append(ids, uid)
	}
	sort.Strings(ids)
	for start := 0; start < len(ids); start += 500 {
		batch := ids[start:min(start+500, len(ids))]
		sent := map[string]bool{}
		var rows []struct{ UserID, Item string }
		if err := s.db.R.WithContext(ctx).Table("reminders_sent").Select("user_id, item").
			Where("user_id IN ?", batch).Scan(&rows).Error; err != nil {
			return fmt.Errorf("notify: read reminders sent: %w", err)
		}
		for _, r := range rows {
			sent[r.UserID+"\x00"+r.Item] = true
		}
		var off []string
		if err := s.db.R.WithContext(ctx).Table("notification_prefs").Where("user_id IN ? AND reminders = ?", batch, false).
			Pluck("user_id", &off).Error; err != nil {
			return fmt.Errorf("notify: read preferences: %w", err)
		}
		optedOut := map[string]bool{}
		for _, uid := range off {
			optedOut[uid] = true
		}
		for _, uid := range batch {
			kept := byUser[uid][:0]
			for _, it := range byUser[uid] {
				if sent[uid+"\x00"+it.Key] || (optedOut[uid] && it.Kind != Overdue) {
					continue
				}
				kept = append(kept, it)
			}
			byUser[uid] = kept
		}
	}
	return nil
}

// Enqueue writes the digests into the outbox, each with its items marked
// sent in the same transaction, in batches. A person who already has
// today's digest is skipped whole: their items wait for tomorrow, so
// nobody gets two messages a day. It returns how many digests it wrote.
func (s *Service) Enqueue(ctx context.Context, now time.Time, digests []Digest) (int, error) {
	now = store.Timestamp(now)
	written := 0
	for start := 0; start < len(digests); start += 200 {
		batch := digests[start:min(start+200, len(digests))]
		n := 0
		err := s.db.Tx(ctx, func(tx *gorm.DB) error {
			n = 0
			for _, d := range batch {
				ok, err := s.enqueueOne(tx, now, d)
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return written, fmt.Errorf("notify: enqueue digests: %w", err)
		}
		written += n
	}
	return written, nil
}

type sentRow struct {
	UserID string
	Item   string
	SentOn string
}

func (sentRow) TableName() string { return "reminders_sent" }

func (s *Service) enqueueOne(tx *gorm.DB, now time.Time, d Digest) (bool, error) {
	ok, err := outbox.Enqueue(tx, now, s.opt.GiveUp, outbox.Message{Target: s.opt.Target, Kind: DigestKind,
		Key: d.UserID, DedupKey: "digest:" + d.UserID + ":" + d.Day, Payload: d})
	if err != nil || !ok {
		return false, err
	}
	rows := make([]sentRow, len(d.Items))
	for i, it := range d.Items {
		rows[i] = sentRow{UserID: d.UserID, Item: it.Key, SentOn: d.Day}
	}
	// Another replica may have planned the same items; the digest's dedup
	// key already decided who writes today's digest.
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
		return false, err
	}
	return true, nil
}

// Describe is a one-line summary of a digest, for `reminders run --dry-run`.
func (d Digest) Describe() string {
	parts := make([]string, len(d.Items))
	for i, it := range d.Items {
		parts[i] = fmt.Sprintf("%s %s (%s)", it.Kind, it.Module, it.Date.Format(time.DateOnly))
	}
	return d.UserID + ": " + strings.Join(parts, "; ")
}
