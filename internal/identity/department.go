package identity

import (
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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
