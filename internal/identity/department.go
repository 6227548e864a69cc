package identity

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/page"
)

// Department is one department's canonical spelling. Departments are
// matched without regard to case; the first spelling stored is the one
// every user and standing rule of the department carries.
type Department struct {
	Key  string // DepartmentKey of Name
	Name string
}

// TableName is the departments table.
func (Department) TableName() string { return "departments" }

// DepartmentKey is what department names are compared on.
func DepartmentKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// CanonicalDepartments returns, for each name, the canonical spelling of
// its department, storing names not seen before as their own canonical
// spelling. It runs in tx, the transaction that stores the users or rules
// carrying the names; everything that stores a department (the user API,
// the CSV import, standing rules, and directory sync) goes through it.
// The empty name (no department) stays empty.
func CanonicalDepartments(tx *gorm.DB, now time.Time, names []string) (map[string]string, error) {
	keys := departmentKeys(names)
	if len(keys) == 0 {
		return map[string]string{}, nil
	}
	var fresh []map[string]any
	seen := map[string]bool{}
	for _, n := range names {
		if k := DepartmentKey(n); k != "" && !seen[k] {
			seen[k] = true
			fresh = append(fresh, map[string]any{"key": k, "name": strings.TrimSpace(n), "created_at": now})
		}
	}
	for chunk := range slices.Chunk(fresh, 300) {
		if err := tx.Table("departments").Clauses(clause.OnConflict{DoNothing: true}).Create(chunk).Error; err != nil {
			return nil, err
		}
	}
	return LookupDepartments(tx, names)
}

// LookupDepartments returns the canonical spelling of each name whose
// department is known, without storing anything: the way to match a
// department someone typed.
func LookupDepartments(tx *gorm.DB, names []string) (map[string]string, error) {
	byKey := map[string]string{}
	for chunk := range slices.Chunk(departmentKeys(names), 500) {
		var found []Department
		if err := tx.Select("key", "name").Where("key IN ?", chunk).Find(&found).Error; err != nil {
			return nil, err
		}
		for _, d := range found {
			byKey[d.Key] = d.Name
		}
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		if c, ok := byKey[DepartmentKey(n)]; ok {
			out[n] = c
		}
	}
	return out, nil
}

func departmentKeys(names []string) []string {
	var keys []string
	seen := map[string]bool{}
	for _, n := range names {
		if k := DepartmentKey(n); k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// canonicalDepartment is CanonicalDepartments for one name.
func canonicalDepartment(tx *gorm.DB, now time.Time, name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return name, nil
	}
	m, err := CanonicalDepartments(tx, now, []string{name})
	if err != nil {
		return "", err
	}
	return m[name], nil
}

// DepartmentCount is a department with the number of its enabled members.
type DepartmentCount struct {
	Name    string `json:"name"`
	Members int64  `json:"members"`
}

// ListDepartments returns the known departments (every canonical spelling
// stored, also those a standing rule made before anyone joined) with their
// enabled members, ordered by key (the lower-case name), a page at a time.
func (s *Service) ListDepartments(ctx context.Context, p page.Request) ([]DepartmentCount, string, error) {
	type row struct {
		Key     string
		Name    string
		Members int64
	}
	q := s.db.R.WithContext(ctx).Table("departments d").
		Select("d.key, d.name, (SELECT COUNT(*) FROM users u WHERE u.department = d.name AND u.disabled = ?) AS members", false)
	if p.Cursor != "" {
		q = q.Where("d.key > ?", p.Cursor)
	}
	var rows []row
	if err := q.Order("d.key").Limit(p.Limit + 1).Scan(&rows).Error; err != nil {
		return nil, "", fault.Wrap(err, "could not list departments")
	}
	rows, next := page.Trim(rows, p.Limit, func(r row) string { return r.Key })
	out := make([]DepartmentCount, len(rows))
	for i, r := range rows {
		out[i] = DepartmentCount{Name: r.Name, Members: r.Members}
	}
	return out, next, nil
}
