package identity

import (
	"context"
	"strings"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/page"
)

// UserFilter narrows ListUsers.
type UserFilter struct {
	Department string
	Query      string // matches name, email or employee id
}

// ListUsers returns users ordered by email, a page at a time.
func (s *Service) ListUsers(ctx context.Context, f UserFilter, p page.Request) ([]User, string, error) {
	q := s.db.R.WithContext(ctx).Model(&User{})
	if f.Department != "" {
		// Departments match without regard to case: look up the spelling.
		dept := f.Department
		if canon, err := LookupDepartments(s.db.R.WithContext(ctx), []string{dept}); err == nil && canon[dept] != "" {
			dept = canon[dept]
		}
		q = q.Where("department = ?", dept)
	}
	if t := strings.TrimSpace(f.Query); t != "" {
		like := "%" + escapeLike(strings.ToLower(t)) + "%"
		q = q.Where("(LOWER(name) LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' OR LOWER(COALESCE(employee_id, '')) LIKE ? ESCAPE '\\')", like, like, like)
	}
	if p.Cursor != "" {
		q = q.Where("email > ?", p.Cursor)
	}
	var users []User
	if err := q.Order("email").Limit(p.Limit + 1).Find(&users).Error; err != nil {
		return nil, "", fault.Wrap(err, "could not list users")
	}
	users, next := page.Trim(users, p.Limit, func(u User) string { return u.Email })
	return users, next, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
