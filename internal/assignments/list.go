package assignments

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/page"
)

// View is an assignment as the API shows it: its status and effective due
// date at the moment it was read.
type View struct {
	ID          string
	UserID      string
	Module      string
	ModuleTitle string
	DueAt       time.Time // effective: after an expired record, the recertification date
	AssignedAt  time.Time
	Status      string
	Overdue     bool
	Path        *string // the learning path it came from; nil when assigned directly
}

// Filter narrows List. Overdue nil means either.
type Filter struct {
	Module     string
	Department string
	Overdue    *bool
}

// viewColumns and viewFrom read assignments with their Facts.
const viewColumns = `a.id, a.user_id, a.module, a.due_at, a.assigned_at, a.grace_days, a.path, `

var viewPair = Pair{User: "a.user_id", Module: "a.module"}

func viewQuery(where string) string {
	return `SELECT ` + viewColumns + viewPair.Columns() + `
FROM assignments a
` + viewPair.RecordJoin() + `
WHERE ` + where
}

type viewScan struct {
	id, userID, module string
	dueAt, assignedAt  time.Time
	graceDays          int
	path               *string
	facts              FactsScan
}

func (v *viewScan) dest() []any {
	return append([]any{&v.id, &v.userID, &v.module, &v.dueAt, &v.assignedAt, &v.graceDays, &v.path}, v.facts.Dest()...)
}

func (v *viewScan) view(now time.Time, titles map[string]ModuleInfo) View {
	st := Assess(v.facts.Facts(&AssignmentFacts{DueAt: v.dueAt.UTC(), GraceDays: v.graceDays}), now)
	title := v.module
	if m, ok := titles[v.module]; ok {
		title = m.Title
	}
	return View{ID: v.id, UserID: v.userID, Module: v.module, ModuleTitle: title, DueAt: *st.DueAt,
		AssignedAt: v.assignedAt.UTC(), Status: st.Status, Overdue: st.Overdue, Path: v.path}
}

// List returns a page of assignments in the order they were made. The
// overdue filter is applied to each row as read (Assess decides it), so a
// page may take a longer scan to fill; overdue=true first narrows the
// scan to rows whose own due date has passed, which every overdue
// assignment's has.
func (s *Service) List(ctx context.Context, f Filter, p page.Request) ([]View, string, error) {
	p = p.OrDefault()
	mods := s.catalog.Modules()
	if f.Module != "" {
		if _, ok := mods[f.Module]; !ok {
			return nil, "", invalid("module", "no published module %q", f.Module)
		}
	}
	now := s.clock()
	where := []string{"1 = 1"}
	var args []any
	if p.Cursor != "" {
		where, args = append(where, "a.id > ?"), append(args, p.Cursor)
	}
	if f.Module != "" {
		where, args = append(where, "a.module = ?"), append(args, f.Module)
	}
	if f.Department != "" {
		where = append(where, "a.user_id IN (SELECT u.id FROM users u WHERE u.department = ?)")
		args = append(args, s.department(f.Department))
	}
	if f.Overdue != nil && *f.Overdue {
		where, args = append(where, "a.due_at < ?"), append(args, now)
	}
	rows, err := s.db.R.WithContext(ctx).Raw(viewQuery(strings.Join(where, " AND "))+" ORDER BY a.id", args...).Rows()
	if err != nil {
		return nil, "", fault.Wrap(err, "could not list assignments")
	}
	defer rows.Close()
	var out []View
	for len(out) <= p.Limit && rows.Next() {
		var v viewScan
		if err := rows.Scan(v.dest()...); err != nil {
			return nil, "", fault.Wrap(err, "could not read assignments")
		}
		view := v.view(now, mods)
		if f.Overdue != nil && view.Overdue != *f.Overdue {
			continue
		}
		out = append(out, view)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fault.Wrap(err, "could not read assignments")
	}
	out, next := page.Trim(out, p.Limit, func(v View) string { return v.ID })
	return out, next, nil
}

// department is the canonical spelling of the department d names, so a
// filter matches without regard to case; d itself when none matches.
func (s *Service) department(d string) string {
	if canon, err := identity.LookupDepartments(s.db.R, []string{d}); err == nil && canon[d] != "" {
		return canon[d]
	}
	return d
}

// Mine returns a page of userID's assignments, soonest due first. A person
// has a handful, so they are read whole and paged in memory.
func (s *Service) Mine(ctx context.Context, userID string, p page.Request) ([]View, string, error) {
	p = p.OrDefault()
	mods := s.catalog.Modules()
	now := s.clock()
	rows, err := s.db.R.WithContext(ctx).Raw(viewQuery("a.user_id = ?"), userID).Rows()
	if err != nil {
		return nil, "", fault.Wrap(err, "could not read your assignments")
	}
	defer rows.Close()
	var all []View
	for rows.Next() {
		var v viewScan
		if err := rows.Scan(v.dest()...); err != nil {
			return nil, "", fault.Wrap(err, "could not read your assignments")
		}
		all = append(all, v.view(now, mods))
	}
	if err := rows.Err(); err != nil {
		return nil, "", fault.Wrap(err, "could not read your assignments")
	}
	slices.SortFunc(all, func(a, b View) int { return strings.Compare(mineKey(a), mineKey(b)) })
	start := 0
	if p.Cursor != "" {
		start = len(all)
		for i, v := range all {
			if mineKey(v) > p.Cursor {
				start = i
				break
			}
		}
	}
	out, next := page.Trim(all[start:], p.Limit, mineKey)
	return out, next, nil
}

// mineKey orders one person's assignments by effective due date, then
// module; fixed-width time text keeps string order equal to time order.
func mineKey(v View) string {
	return v.DueAt.UTC().Format("2006-01-02T15:04:05.000000Z") + "|" + v.Module
}
