package catalog

import (
	"context"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// SetArchived archives (archived true) or brings back the module slug. An
// archived module leaves the catalogue and cannot be started or newly
// assigned; its revisions, records, progress and report rows stay, and
// publishing it again does not bring it back. A change is audited in the
// same transaction; asking for the state the module is already in changes
// nothing. It returns the module as it now is.
func (s *Service) SetArchived(ctx context.Context, slug string, archived bool, actorID string) (*Published, error) {
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var row moduleRow
		err := tx.Select("slug", "current_revision", "archived_at").Where("slug = ?", slug).Take(&row).Error
		if store.IsNotFound(err) {
			return fault.New(fault.NotFound, "no module %q", slug)
		}
		if err != nil {
			return err
		}
		if (row.ArchivedAt != nil) == archived {
			return nil
		}
		var at any // NULL: live
		action := audit.ModuleUnarchived
		if archived {
			at, action = store.Timestamp(s.now()), audit.ModuleArchived
		}
		if err := tx.Model(&moduleRow{}).Where("slug = ?", slug).Update("archived_at", at).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, actorID, action, slug, map[string]any{"revision": row.CurrentRevision})
	})
	if err != nil {
		if fault.CodeOf(err) != fault.Internal {
			return nil, err
		}
		return nil, fault.Wrap(err, "could not change module %q", slug)
	}
	if err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	return s.Lookup(slug)
}

// ReviewOverdue reports whether p's review_by date has passed.
func (s *Service) ReviewOverdue(p *Published) bool { return p.Module.ReviewOverdue(s.now()) }
