package learning

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/events"
)

// issueIfComplete issues userID's record for m (revision rev) inside tx
// when every lesson of that revision is done and, if it has a quiz, an
// attempt of the current cycle passed; unless they already hold a valid
// record. It returns the new record, or nil when none was due.
//
// Exactly once: the record takes the cycle number, and (user, module,
// cycle) is unique, so of two transactions completing the module at once
// only one commits a record; the other fails on the constraint, runs
// again (see Service.tx) and finds the module completed.
//
// st must have been loaded in tx after the change that may complete the
// module; a record issued is appended to it.
func (s *Service) issueIfComplete(ctx context.Context, tx *gorm.DB, st *state, userID string, m *content.Module, rev int, now time.Time) (*Record, error) {
	if latest := st.latestStanding(); latest != nil && latest.statusAt(now) == RecordValid {
		return nil, nil
	}
	if len(st.lessonsRemaining(m)) > 0 {
		return nil, nil
	}
	cycle := len(st.records)
	rec := Record{ID: uuid.NewString(), UserID: userID, Kind: KindModule, Module: m.Slug, ModuleTitle: m.Title,
		Revision: rev, ContentHash: m.Hash, Cycle: cycle}
	if m.Quiz != nil {
		if !st.attempts[cycle].passed {
			return nil, nil
		}
		best, err := bestPass(ctx, tx, userID, m.Slug, cycle)
		if err != nil || best == nil {
			return nil, err
		}
		rec.Score, rec.AttemptID = best.Score, &best.ID
	}
	if err := tx.WithContext(ctx).Table("users").Select("name").Where("id = ?", userID).Scan(&rec.HolderName).Error; err != nil {
		return nil, err
	}
	// Whole seconds, as in the credential, so both say the same.
	rec.IssuedAt = now.Truncate(time.Second)
	rec.ExpiresAt = m.ExpiresAt(rec.IssuedAt)
	var err error
	if rec.Credential, err = s.signer.Sign(ClaimsOf(rec)); err != nil {
		return nil, err
	}
	if err := tx.WithContext(ctx).Create(&rec).Error; err != nil {
		return nil, err
	}
	if err := s.Events.Emit(tx, events.Event{Type: events.RecordIssued, UserID: userID, At: rec.IssuedAt,
		Data: issuedData(&rec, m)}); err != nil {
		return nil, err
	}
	rec.Status = rec.statusAt(now)
	st.records = append(st.records, rec)
	paths, err := s.issuePathRecords(ctx, tx, userID, m.Slug, now)
	if err != nil {
		return nil, err
	}
	for i := range paths {
		s.log.InfoContext(ctx, "path record issued", slog.String("record_id", paths[i].ID), slog.String("user_id", userID),
			slog.String("path", *paths[i].Path))
	}
	return &rec, nil
}

// logIssued notes a record once its transaction committed.
func (s *Service) logIssued(ctx context.Context, r *Record) {
	if r == nil {
		return
	}
	s.log.InfoContext(ctx, "record issued", slog.String("record_id", r.ID), slog.String("user_id", r.UserID),
		slog.String("module", r.Module), slog.Int("revision", r.Revision))
}

// bestPass is the passed attempt of cycle with the best score (the first
// of equals), or nil.
func bestPass(ctx context.Context, tx *gorm.DB, userID, module string, cycle int) (*attemptRow, error) {
	var best []attemptRow
	if err := tx.WithContext(ctx).Select("id", "score").
		Where("user_id = ? AND module = ? AND cycle = ? AND passed = ? AND score IS NOT NULL", userID, module, cycle, true).
		Order("score DESC, number").Limit(1).Find(&best).Error; err != nil || len(best) == 0 {
		return nil, err
	}
	return &best[0], nil
}

// issuedData are the facts of record.issued.
func issuedData(r *Record, m *content.Module) map[string]any {
	d := map[string]any{"record_id": r.ID, "user_id": r.UserID, "module": r.Module, "module_title": r.ModuleTitle,
		"revision": r.Revision, "content_hash": r.ContentHash, "cycle": r.Cycle, "score": r.Score,
		"attempt_id": r.AttemptID, "issued_at": r.IssuedAt.UTC(), "expires_at": nil,
		"has_quiz": m.Quiz != nil}
	if r.ExpiresAt != nil {
		d["expires_at"] = r.ExpiresAt.UTC()
	}
	return d
}
