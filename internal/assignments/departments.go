package assignments

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
)

// maxKnownShown bounds the departments a 422 names.
const maxKnownShown = 50

// resolveDepartments gives r's departments their canonical spelling, so
// they match without regard to case. A department with no enabled member
// is refused, naming the departments there are, unless r sets up a
// standing rule: HR may make the rule before an import fills the
// department, and the rule's spelling is then stored as the department's.
func resolveDepartments(tx *gorm.DB, r Request, now time.Time) (Request, error) {
	if len(r.Departments) == 0 {
		return r, nil
	}
	var canon map[string]string
	var err error
	if r.IncludeNewMembers {
		canon, err = identity.CanonicalDepartments(tx, now, r.Departments)
	} else {
		canon, err = identity.LookupDepartments(tx, r.Departments)
	}
	if err != nil {
		return r, err
	}
	names := make([]string, len(r.Departments))
	for i, d := range r.Departments {
		names[i] = d
		if c, ok := canon[d]; ok {
			names[i] = c
		}
	}
	r.Departments = dedupe(names)
	if r.IncludeNewMembers {
		return r, nil
	}
	known, err := knownDepartments(tx)
	if err != nil {
		return r, err
	}
	var empty []string
	for _, d := range r.Departments {
		if _, ok := slices.BinarySearch(known, d); !ok {
			empty = append(empty, fmt.Sprintf("%q", d))
		}
	}
	if len(empty) == 0 {
		return r, nil
	}
	shown := known[:min(len(known), maxKnownShown)]
	msg := fmt.Sprintf("%s %s no enabled members (known departments: %s%s); set include_new_members to make a standing rule for people who join later",
		strings.Join(empty, ", "), map[bool]string{true: "has", false: "have"}[len(empty) == 1],
		strings.Join(shown, ", "), map[bool]string{true: ", …", false: ""}[len(shown) < len(known)])
	return r, &fault.Error{Code: fault.Invalid, Message: "departments: " + msg,
		Fields: []fault.FieldError{{Field: "departments", Message: msg}},
		Ext:    map[string]any{"known_departments": shown}}
}

// knownDepartments are the departments with an enabled member, sorted.
func knownDepartments(tx *gorm.DB) ([]string, error) {
	var out []string
	err := tx.Table("users").Distinct("department").Where("disabled = ? AND department <> ''", false).
		Order("department").Pluck("department", &out).Error
	slices.Sort(out) // the database's collation may differ from byte order
	return out, err
}

// blockedByPrerequisites counts the users among ids who lack a valid
// record (not revoked, not expired at now) of one of prereqs, as
// internal/learning checks before they may start.
func blockedByPrerequisites(tx *gorm.DB, prereqs, ids []string, now time.Time) (int, error) {
	if len(prereqs) == 0 {
		return 0, nil
	}
	blocked := 0
	for chunk := range slices.Chunk(ids, batch) {
		var ready int64
		err := tx.Raw(`SELECT COUNT(*) FROM (SELECT r.user_id FROM records r
			WHERE r.user_id IN ? AND r.module IN ? AND r.revoked_at IS NULL AND (r.expires_at IS NULL OR r.expires_at > ?)
			GROUP BY r.user_id HAVING COUNT(DISTINCT r.module) = ?) AS ready`, chunk, prereqs, now, len(prereqs)).
			Scan(&ready).Error
		if err != nil {
			return 0, err
		}
		blocked += len(chunk) - int(ready)
	}
	return blocked, nil
}
