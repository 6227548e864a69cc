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
	"github.com/upskill/upskill/internal/fault"
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
	// An advisory lock rather than a row lock: the records row just
	// inserted holds a key-share lock on the user's row (its foreign key),
	// which FOR UPDATE would deadlock against.
	return tx.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock(hashtext(?))", "upskill-path-records:"+userID).Error
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

// PathProgress is where a learner stands with a learning path: their
// progress on each module in the path's order, the path's status
// (completed when every module is, in progress once any is started,
// expired when the path record expired and a module no longer counts),
// and their newest unrevoked path record.
type PathProgress struct {
	Status     string
	Modules    []PathModule
	Completion *Record
}

// PathModule is one module of a path with the learner's progress; Title
// is the slug and Progress nil when the module is no longer published.
type PathModule struct {
	Slug     string
	Title    string
	Progress *ModuleProgress
}

// PathProgress measures userID against the path p.
func (s *Service) PathProgress(ctx context.Context, userID string, p catalog.PublishedPath) (PathProgress, error) {
	out := PathProgress{Modules: make([]PathModule, 0, len(p.Modules))}
	completed, started := 0, false
	for _, slug := range p.Modules {
		pm := PathModule{Slug: slug, Title: slug}
		mp, err := s.Progress(ctx, userID, slug)
		switch {
		case err == nil:
			pm.Progress = &mp
			if m, _, err := s.current(slug); err == nil {
				pm.Title = m.Title
			}
			if mp.Status == Completed {
				completed++
			}
			if mp.Status != NotStarted {
				started = true
			}
		case !fault.Is(err, fault.NotFound):
			return out, err
		}
		out.Modules = append(out.Modules, pm)
	}
	var recs []Record
	if err := s.db.R.WithContext(ctx).Where("user_id = ? AND module = ? AND kind = ? AND revoked_at IS NULL", userID, p.Slug, KindPath).
		Order("cycle DESC").Limit(1).Find(&recs).Error; err != nil {
		return out, fault.Wrap(err, "could not read the path record")
	}
	now := s.clock()
	if len(recs) == 1 {
		recs[0].Status = recs[0].statusAt(now)
		out.Completion = &recs[0]
	}
	switch {
	case completed == len(p.Modules) && len(p.Modules) > 0:
		out.Status = Completed
	case out.Completion != nil && out.Completion.Status == RecordExpired:
		out.Status = Expired
	case started:
		out.Status = InProgress
	default:
		out.Status = NotStarted
	}
	return out, nil
}
