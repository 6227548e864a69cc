package learning

import (
	"context"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/records"
	"github.com/upskill/upskill/internal/store"
)

// Record kinds.
const (
	KindModule = records.KindModule
	KindPath   = records.KindPath
)

// IsPath reports whether r is a path record. A path record keeps the
// path's slug in Module (see migration 00014) and the path's title in
// ModuleTitle; Path names the path.
func (r *Record) IsPath() bool { return r.Kind == KindPath }

// lockUser makes concurrent transactions that may complete a path for
// userID take turns: of two transactions each completing the last but one
// module, the second then sees the first's record and issues the path
// record. SQLite's single writer already serialises them.
func (s *Service) lockUser(ctx context.Context, tx *gorm.DB, userID string) error {
	if s.db.Dialect != store.Postgres {
		return nil
	}
	return tx.WithContext(ctx).Exec("SELECT id FROM users WHERE id = ? FOR UPDATE", userID).Error
}

// issuePathRecords issues, inside tx, a path record for every path that
// includes module and that userID has now completed: every module of it
// holds a valid record, and they hold no valid record of the path yet.
// (user, path, cycle) is unique, so racing transactions issue at most one;
// lockUser makes sure one of them does.
func (s *Service) issuePathRecords(ctx context.Context, tx *gorm.DB, userID, module string, now time.Time) ([]Record, error) {
	all, err := catalog.Paths(ctx, tx)
	if err != nil {
		return nil, err
	}
	paths := catalog.PathsWith(all, module)
	if len(paths) == 0 {
		return nil, nil
	}
	if err := s.lockUser(ctx, tx, userID); err != nil {
		return nil, err
	}
	var out []Record
	for _, p := range paths {
		done, err := s.pathComplete(ctx, tx, userID, p.Modules, now)
		if err != nil {
			return out, err
		}
		if !done {
			continue
		}
		var recs []Record
		if err := tx.WithContext(ctx).Where("user_id = ? AND module = ? AND kind = ?", userID, p.Slug, KindPath).
			Order("cycle").Find(&recs).Error; err != nil {
			return out, err
		}
		if st := (&state{records: recs}).latestStanding(); st != nil && st.statusAt(now) == RecordValid {
			continue
		}
		rec, err := s.signPathRecord(ctx, tx, userID, p, len(recs), now)
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// pathComplete reports whether userID holds a valid module record of
// every module named.
func (s *Service) pathComplete(ctx context.Context, tx *gorm.DB, userID string, modules []string, now time.Time) (bool, error) {
	held, err := heldRecords(ctx, tx, userID, modules, now)
	if err != nil {
		return false, err
	}
	for _, m := range modules {
		if !held[m] {
			return false, nil
		}
	}
	return true, nil
}

func (s *Service) signPathRecord(ctx context.Context, tx *gorm.DB, userID string, p catalog.PublishedPath, cycle int, now time.Time) (Record, error) {
	slug := p.Slug
	rec := Record{ID: uuid.NewString(), UserID: userID, Kind: KindPath, Path: &slug, Module: slug,
		ModuleTitle: p.Title, Cycle: cycle}
	if err := tx.WithContext(ctx).Table("users").Select("name").Where("id = ?", userID).Scan(&rec.HolderName).Error; err != nil {
		return rec, err
	}
	rec.IssuedAt = now.Truncate(time.Second)
	rec.ExpiresAt = p.ExpiresAt(rec.IssuedAt)
	claims := records.Claims{Kind: KindPath, Path: slug, ModuleTitle: p.Title, HolderName: rec.HolderName,
		RegisteredClaims: jwt.RegisteredClaims{Subject: userID, ID: rec.ID, IssuedAt: jwt.NewNumericDate(rec.IssuedAt)}}
	if rec.ExpiresAt != nil {
		claims.ExpiresAt = jwt.NewNumericDate(*rec.ExpiresAt)
	}
	var err error
	if rec.Credential, err = s.signer.Sign(claims); err != nil {
		return rec, err
	}
	if err := tx.WithContext(ctx).Create(&rec).Error; err != nil {
		return rec, err
	}
	rec.Status = rec.statusAt(now)
	return rec, nil
}

// revokePathRecords revokes, inside tx, the standing path records of
// userID for every path that includes module: a path record rests on its
// modules' records, so it falls with any of them.
func (s *Service) revokePathRecords(ctx context.Context, tx *gorm.DB, actorID, userID, module, moduleRecordID string, now time.Time) error {
	all, err := catalog.Paths(ctx, tx)
	if err != nil {
		return err
	}
	for _, p := range catalog.PathsWith(all, module) {
		var ids []string
		if err := tx.WithContext(ctx).Model(&Record{}).Where("user_id = ? AND module = ? AND kind = ? AND revoked_at IS NULL",
			userID, p.Slug, KindPath).Pluck("id", &ids).Error; err != nil {
			return err
		}
		reason := fmt.Sprintf("module record %s of %q, on which this path record rests, was revoked", moduleRecordID, module)
		for _, id := range ids {
			if err := tx.WithContext(ctx).Model(&Record{}).Where("id = ? AND revoked_at IS NULL", id).
				Updates(map[string]any{"revoked_at": now, "revoked_by": actorID, "revoke_reason": reason}).Error; err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, actorID, audit.RecordRevoked, id, map[string]any{
				"reason": reason, "user_id": userID, "path": p.Slug, "because_of": moduleRecordID}); err != nil {
				return err
			}
		}
	}
	return nil
}
