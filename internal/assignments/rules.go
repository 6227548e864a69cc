package assignments

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
)

// ApplyRules assigns userIDs every module a standing rule of their
// department names, due the rule's due_in_days from now, unless they
// already have it. It runs inside tx, the transaction that created the
// users or moved them (identity.Service.OnMembership), so a newcomer is
// never without the assignment. Leaving a department keeps what it
// assigned: the assignment is history HR may still want to see.
func (s *Service) ApplyRules(ctx context.Context, tx *gorm.DB, userIDs []string) error {
	tx = tx.WithContext(ctx)
	var rules []Rule
	if err := tx.Order("department, module").Find(&rules).Error; err != nil {
		return fault.Wrap(err, "could not read the standing assignment rules")
	}
	if len(rules) == 0 {
		return nil
	}
	byDept := s.liveRulesByDept(rules)
	now := s.clock()
	made := map[string]int{} // by rule id
	for chunk := range slices.Chunk(userIDs, batch) {
		if err := applyRulesTo(tx, chunk, byDept, now, made); err != nil {
			return err
		}
	}
	return auditRulesApplied(ctx, tx, rules, made)
}

// liveRulesByDept groups rules by department, leaving out those of
// archived modules: an archived module is assigned to nobody new; its rule
// stays for when a trainer unarchives it.
func (s *Service) liveRulesByDept(rules []Rule) map[string][]Rule {
	var mods map[string]ModuleInfo
	if s.catalog != nil {
		mods = s.catalog.Modules()
	}
	byDept := map[string][]Rule{}
	for _, r := range rules {
		if mods[r.Module].Archived {
			continue
		}
		byDept[r.Department] = append(byDept[r.Department], r)
	}
	return byDept
}

// applyRulesTo assigns one chunk of users what their department's rules
// name and they do not hold yet, counting the assignments in made by rule.
func applyRulesTo(tx *gorm.DB, chunk []string, byDept map[string][]Rule, now time.Time, made map[string]int) error {
	var users []struct {
		ID         string
		Department string
	}
	if err := tx.Table("users").Select("id", "department").
		Where("id IN ? AND disabled = ?", chunk, false).Find(&users).Error; err != nil {
		return fault.Wrap(err, "could not read the users' departments")
	}
	var held []struct{ UserID, Module string }
	if err := tx.Model(&Assignment{}).Select("user_id", "module").
		Where("user_id IN ?", chunk).Find(&held).Error; err != nil {
		return fault.Wrap(err, "could not read the users' assignments")
	}
	has := make(map[[2]string]bool, len(held))
	for _, h := range held {
		has[[2]string{h.UserID, h.Module}] = true
	}
	var fresh []Assignment
	for _, u := range users {
		for _, r := range byDept[u.Department] {
			if has[[2]string{u.ID, r.Module}] {
				continue
			}
			id := r.ID
			fresh = append(fresh, Assignment{ID: newID(), UserID: u.ID, Module: r.Module,
				DueAt: now.AddDate(0, 0, r.DueInDays), AssignedAt: now, GraceDays: r.GraceDays, RuleID: &id, Path: r.Path})
			made[r.ID]++
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(fresh, batch).Error; err != nil {
		return fault.Wrap(err, "could not assign the standing rules' modules")
	}
	return nil
}

// auditRulesApplied records, per rule, how many assignments it made.
func auditRulesApplied(ctx context.Context, tx *gorm.DB, rules []Rule, made map[string]int) error {
	for _, r := range rules {
		if n := made[r.ID]; n > 0 {
			if err := audit.Record(ctx, tx, "", audit.AssignmentMade, r.Module, map[string]any{
				"module": r.Module, "rule_id": r.ID, "department": r.Department, "assigned": n,
				"due_in_days": r.DueInDays}); err != nil {
				return err
			}
		}
	}
	return nil
}

// RuleFilter narrows ListRules.
type RuleFilter struct {
	Module     string
	Department string
}

// ListRules returns a page of standing rules by department, then module.
func (s *Service) ListRules(ctx context.Context, f RuleFilter, p page.Request) ([]Rule, string, error) {
	p = p.OrDefault()
	q := s.db.R.WithContext(ctx).Model(&Rule{})
	if f.Module != "" {
		q = q.Where("module = ?", f.Module)
	}
	if f.Department != "" {
		q = q.Where("department = ?", s.department(f.Department))
	}
	if p.Cursor != "" {
		// The cursor is the last rule's position in (department, module, id)
		// order, as an offset-free key: its id.
		var last Rule
		if err := s.db.R.WithContext(ctx).Where("id = ?", p.Cursor).Take(&last).Error; err != nil {
			return nil, "", page.ErrBadCursor
		}
		q = q.Where("department > ? OR (department = ? AND module > ?)", last.Department, last.Department, last.Module)
	}
	var rules []Rule
	if err := q.Order("department, module").Limit(p.Limit + 1).Find(&rules).Error; err != nil {
		return nil, "", fault.Wrap(err, "could not list the standing rules")
	}
	rules, next := page.Trim(rules, p.Limit, func(r Rule) string { return r.ID })
	return rules, next, nil
}

// DeleteRule ends a standing rule. The assignments it made stay.
func (s *Service) DeleteRule(ctx context.Context, actor, id string) error {
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var r Rule
		err := tx.Where("id = ?", id).Take(&r).Error
		if store.IsNotFound(err) {
			return fault.New(fault.NotFound, "no standing rule %q", id)
		}
		if err != nil {
			return err
		}
		if err := tx.Where("id = ?", id).Delete(&Rule{}).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.AssignmentRuleDeleted, id, map[string]any{
			"department": r.Department, "module": r.Module, "due_in_days": r.DueInDays,
			"grace_days": r.GraceDays, "created_at": r.CreatedAt.UTC().Format(time.RFC3339)})
	})
	return fault.Ensure(err, "could not delete the standing rule")
}
