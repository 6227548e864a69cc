package privacy

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/store"
)

// Retention periods (UPSKILL_RETAIN_*); zero keeps for ever.
type Retention struct {
	// Answers: a submitted attempt's answers are removed this long after
	// submission (its score, pass and record stay).
	Answers time.Duration
	// Comments: a feedback comment is removed this long after it was last
	// written (the rating stays).
	Comments time.Duration
	// AuditDetails: an audit entry's details and client address (and a
	// failed sign-in's target, the email typed) are removed this long after
	// it was written; who, what, when and other targets stay.
	AuditDetails time.Duration
}

// Enabled reports whether any period is set.
func (r Retention) Enabled() bool { return r.Answers > 0 || r.Comments > 0 || r.AuditDetails > 0 }

// Retention kinds.
const (
	RetainAnswers      = "answers"
	RetainComments     = "comments"
	RetainAuditDetails = "audit_details"
)

// Due is one thing a retention run removes.
type Due struct {
	Kind string    `json:"kind"`
	Key  string    `json:"key"` // attempt id, "<user id>/<module>", or audit event id
	At   time.Time `json:"at"`  // when it was written
}

func (d Due) String() string {
	return fmt.Sprintf("%s %s (%s)", d.Kind, d.Key, d.At.UTC().Format(time.RFC3339))
}

// RetentionPlan lists what a retention run at now removes, oldest first
// within each kind.
func (s *Service) RetentionPlan(ctx context.Context, now time.Time) ([]Due, error) {
	return s.plan(ctx, s.db.R, now)
}

func (s *Service) plan(ctx context.Context, db *gorm.DB, now time.Time) ([]Due, error) {
	now = store.Timestamp(now)
	db = db.WithContext(ctx)
	var out []Due
	if d := s.ret.Answers; d > 0 {
		var rows []struct {
			ID          string
			SubmittedAt time.Time
		}
		if err := db.Table("attempts").Select("id, submitted_at").
			Where("answers IS NOT NULL AND submitted_at IS NOT NULL AND submitted_at < ?", now.Add(-d)).
			Order("submitted_at, id").Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, Due{Kind: RetainAnswers, Key: r.ID, At: r.SubmittedAt.UTC()})
		}
	}
	if d := s.ret.Comments; d > 0 {
		var rows []struct {
			UserID, Module string
			UpdatedAt      time.Time
		}
		if err := db.Table("feedback").Select("user_id, module, updated_at").
			Where("comment <> '' AND updated_at < ?", now.Add(-d)).
			Order("updated_at, user_id, module").Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, Due{Kind: RetainComments, Key: r.UserID + "/" + r.Module, At: r.UpdatedAt.UTC()})
		}
	}
	if d := s.ret.AuditDetails; d > 0 {
		var rows []struct {
			ID int64
			At time.Time
		}
		if err := db.Table("audit_events").Select("id, at").
			Where("(details <> '{}' OR client_ip <> '' OR (action = ? AND target <> '')) AND at < ?", audit.LoginFailed, now.Add(-d)).
			Order("id").Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, Due{Kind: RetainAuditDetails, Key: strconv.FormatInt(r.ID, 10), At: r.At.UTC()})
		}
	}
	return out, nil
}

// ApplyRetention removes what RetentionPlan lists at now, in one
// transaction that also audits the run (counts only), and returns
// exactly what it removed. On SQLite the WAL is checkpointed afterwards.
func (s *Service) ApplyRetention(ctx context.Context, now time.Time) ([]Due, error) {
	var done []Due
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		plan, err := s.plan(ctx, tx, now)
		if err != nil {
			return err
		}
		done = plan
		if len(plan) == 0 {
			return nil
		}
		byKind := map[string][]string{}
		for _, d := range plan {
			byKind[d.Kind] = append(byKind[d.Kind], d.Key)
		}
		db := tx.WithContext(ctx)
		for _, batch := range chunks(byKind[RetainAnswers], 500) {
			if err := db.Exec("UPDATE attempts SET answers = NULL WHERE id IN ?", batch).Error; err != nil {
				return err
			}
		}
		for _, key := range byKind[RetainComments] {
			uid, module, _ := strings.Cut(key, "/")
			if err := db.Exec("UPDATE feedback SET comment = '' WHERE user_id = ? AND module = ?", uid, module).Error; err != nil {
				return err
			}
		}
		for _, batch := range chunks(byKind[RetainAuditDetails], 500) {
			ids := make([]int64, len(batch))
			for i, k := range batch {
				ids[i], _ = strconv.ParseInt(k, 10, 64)
			}
			// A failed sign-in's target is the email typed, someone's or not.
			if err := db.Exec("UPDATE audit_events SET details = '{}', client_ip = '', target = CASE WHEN action = ? THEN '' ELSE target END WHERE id IN ?",
				audit.LoginFailed, ids).Error; err != nil {
				return err
			}
		}
		counts := map[string]any{}
		kinds := make([]string, 0, len(byKind))
		for k, v := range byKind {
			counts[k] = len(v)
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		return audit.Record(ctx, tx, "", ActionRetained, strings.Join(kinds, ","), counts)
	})
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	if len(done) > 0 {
		s.Checkpoint(ctx)
	}
	return done, nil
}

func chunks(s []string, n int) [][]string {
	var out [][]string
	for len(s) > 0 {
		k := min(n, len(s))
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}

// LeaderRetention names the retention job for store.AsLeader.
const LeaderRetention int64 = 0x7570736b696c6c15 // "upskill" + 0x15

// RetentionScheduler applies retention inside serve: at start and then
// every Every [24h], by one replica at a time.
type RetentionScheduler struct {
	Service *Service
	Now     func() time.Time
	Every   time.Duration
	Log     *slog.Logger
}

// RunOnce applies retention now when this process leads.
func (sc *RetentionScheduler) RunOnce(ctx context.Context) (int, error) {
	n := 0
	_, err := sc.Service.db.AsLeader(ctx, LeaderRetention, func(ctx context.Context) error {
		done, err := sc.Service.ApplyRetention(ctx, sc.Now())
		n = len(done)
		return err
	})
	return n, err
}

// Run applies retention until ctx ends. It returns at once when no
// period is set.
func (sc *RetentionScheduler) Run(ctx context.Context) {
	if !sc.Service.ret.Enabled() {
		return
	}
	every := sc.Every
	if every <= 0 {
		every = 24 * time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := sc.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			sc.Log.Error("retention failed; will try again", "err", err)
		case n > 0:
			sc.Log.Info("retention applied", "removed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
