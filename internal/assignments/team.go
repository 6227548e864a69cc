package assignments

import (
	"context"
	"slices"
	"strings"

	"github.com/upskill/upskill/internal/fault"
)

// TeamMember is one direct report as their manager sees them: who they
// are and where they stand with what they were assigned. Nothing else of
// theirs (quiz answers, scores, pulse answers) is read.
type TeamMember struct {
	ID          string
	Name        string
	Email       string
	Department  string
	Assignments []View // soonest due first
	Overdue     int
}

// Team returns managerID's direct reports (enabled people whose manager_id
// is managerID), by name; empty for someone with no reports.
func (s *Service) Team(ctx context.Context, managerID string) ([]TeamMember, error) {
	var people []struct{ ID, Name, Email, Department string }
	db := s.db.R.WithContext(ctx)
	if err := db.Table("users").Select("id", "name", "email", "department").
		Where("manager_id = ? AND disabled = ?", managerID, false).
		Order("lower(name), id").Find(&people).Error; err != nil {
		return nil, fault.Wrap(err, "could not read your team")
	}
	out := make([]TeamMember, len(people))
	index := make(map[string]int, len(people))
	for i, p := range people {
		out[i] = TeamMember{ID: p.ID, Name: p.Name, Email: p.Email, Department: p.Department, Assignments: []View{}}
		index[p.ID] = i
	}
	if len(people) == 0 {
		return out, nil
	}
	mods := s.catalog.Modules()
	now := s.clock()
	rows, err := db.Raw(viewQuery("a.user_id IN (SELECT u.id FROM users u WHERE u.manager_id = ? AND u.disabled = ?)"),
		managerID, false).Rows()
	if err != nil {
		return nil, fault.Wrap(err, "could not read your team's assignments")
	}
	defer rows.Close()
	for rows.Next() {
		var v viewScan
		if err := rows.Scan(v.dest()...); err != nil {
			return nil, fault.Wrap(err, "could not read your team's assignments")
		}
		i, ok := index[v.userID]
		if !ok {
			continue // joined the team while this was read
		}
		view := v.view(now, mods)
		out[i].Assignments = append(out[i].Assignments, view)
		if view.Overdue {
			out[i].Overdue++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fault.Wrap(err, "could not read your team's assignments")
	}
	for i := range out {
		slices.SortFunc(out[i].Assignments, func(a, b View) int { return strings.Compare(mineKey(a), mineKey(b)) })
	}
	return out, nil
}
