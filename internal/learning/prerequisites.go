package learning

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/content"
)

// heldRecords says which of modules userID holds a valid record for at now.
func heldRecords(ctx context.Context, db *gorm.DB, userID string, modules []string, now time.Time) (map[string]bool, error) {
	held := map[string]bool{}
	if len(modules) == 0 {
		return held, nil
	}
	var recs []Record
	if err := db.WithContext(ctx).Select("module", "expires_at", "revoked_at").
		Where("user_id = ? AND module IN ? AND revoked_at IS NULL", userID, modules).
		Find(&recs).Error; err != nil {
		return nil, err
	}
	for _, r := range recs {
		if r.statusAt(now) == RecordValid {
			held[r.Module] = true
		}
	}
	return held, nil
}

var dueDatesOf = newOfUser(`SELECT module, due_at FROM assignments WHERE user_id = ? AND module IN (%s)`)

// missingOf lists m's prerequisites not in held, in the module's order.
func missingOf(m *content.Module, held map[string]bool) []string {
	missing := []string{}
	for _, p := range m.Prerequisites {
		if !held[p] {
			missing = append(missing, p)
		}
	}
	return missing
}

// lockOf pairs a progress with its module, for markLocked.
type lockOf struct {
	p *ModuleProgress
	m *content.Module
}

// markLocked fills what each progress owes to other modules and to HR:
// MissingPrerequisites and Locked, with one query for all their
// prerequisites, and DueAt, with one query of the assignments table (which
// belongs to the assignments package; only its user, module and due date
// columns are read here).
func (s *Service) markLocked(ctx context.Context, db *gorm.DB, userID string, now time.Time, locks ...lockOf) error {
	var all, modules []string
	for _, l := range locks {
		all = append(all, l.m.Prerequisites...)
		modules = append(modules, l.m.Slug)
	}
	held, err := heldRecords(ctx, db, userID, all, now)
	if err != nil {
		return err
	}
	dueAt := map[string]time.Time{}
	if len(modules) > 0 {
		if err := dueDatesOf.each(ctx, db, userID, modules, func(scan func(...any) error) error {
			var (
				module string
				due    time.Time
			)
			if err := scan(&module, &due); err != nil {
				return err
			}
			dueAt[module] = due
			return nil
		}); err != nil {
			return err
		}
	}
	for _, l := range locks {
		l.p.MissingPrerequisites = missingOf(l.m, held)
		l.p.Locked = len(l.p.MissingPrerequisites) > 0 && l.p.Status != Completed
		if d, ok := dueAt[l.m.Slug]; ok {
			l.p.DueAt = &d
		}
	}
	return nil
}
