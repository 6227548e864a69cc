package identity

import (
	"database/sql/driver"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The roles a user can hold.
const (
	RoleLearner = "learner"
	RoleTrainer = "trainer"
	RoleHR      = "hr"
	RoleAdmin   = "admin"
)

// AllRoles lists every role in a stable order.
var AllRoles = []string{RoleLearner, RoleTrainer, RoleHR, RoleAdmin}

// Roles is a user's set of roles, stored as a comma-separated column.
type Roles []string

// Value stores the roles sorted in AllRoles order.
func (r Roles) Value() (driver.Value, error) { return strings.Join(r.normalised(), ","), nil }

// Scan reads the stored form.
func (r *Roles) Scan(v any) error {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case nil:
	default:
		return fmt.Errorf("roles: cannot scan %T", v)
	}
	*r = nil
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			*r = append(*r, p)
		}
	}
	return nil
}

// Has reports whether the set holds role.
func (r Roles) Has(role string) bool { return slices.Contains(r, role) }

// OnlyLearner reports whether the user is a learner and nothing else.
func (r Roles) OnlyLearner() bool { return len(r) == 1 && r[0] == RoleLearner }

func (r Roles) normalised() Roles {
	out := Roles{}
	for _, role := range AllRoles {
		if slices.Contains(r, role) {
			out = append(out, role)
		}
	}
	return out
}

// Equal compares two role sets.
func (r Roles) Equal(o Roles) bool { return slices.Equal(r.normalised(), o.normalised()) }

// checkRoles validates a requested role list.
func checkRoles(r []string) (Roles, error) {
	if len(r) == 0 {
		return nil, fmt.Errorf("at least one role is required")
	}
	for _, role := range r {
		if !slices.Contains(AllRoles, role) {
			return nil, fmt.Errorf("unknown role %q (want learner, trainer, hr or admin)", role)
		}
	}
	return Roles(r).normalised(), nil
}

// User is a person who can sign in.
type User struct {
	ID           string
	Email        string
	Name         string
	Department   string
	EmployeeID   *string
	ManagerID    *string // the person's line manager, a user id
	Roles        Roles
	PasswordHash *string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// SCIM provisioning: the provider's externalId and userName (when it
	// is not the email), and when a SCIM DELETE disabled the person.
	ExternalID    *string
	ScimUserName  *string
	ScimDeletedAt *time.Time
	// ErasedAt is set when the person's personal data was erased
	// (internal/privacy): the row keeps a pseudonym and can never sign in.
	ErasedAt *time.Time
}

// TableName is the users table.
func (User) TableName() string { return "users" }

// NormaliseEmail is the stored, compared form of an email address.
func NormaliseEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// maxEmailBytes is the longest address SMTP can carry (RFC 5321).
const maxEmailBytes = 254

var errEmailTooLong = fmt.Errorf("email is longer than %d characters", maxEmailBytes)

// checkEmail accepts a bare address (no display name) of sane length.
func checkEmail(s string) error {
	if s == "" {
		return fmt.Errorf("email is required")
	}
	if len(s) > maxEmailBytes {
		return errEmailTooLong
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fmt.Errorf("%q is not a valid email address", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") {
		return fmt.Errorf("%q is not a valid email address", s)
	}
	return nil
}

// checkText bounds a free-text field.
func checkText(field, s string, required bool, max int) error {
	if required && strings.TrimSpace(s) == "" {
		return fmt.Errorf("%s is required", field)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	if utf8.RuneCountInString(s) > max {
		return fmt.Errorf("%s is longer than %d characters", field, max)
	}
	for _, r := range s {
		if what := unsafeRune(r); what != "" {
			return fmt.Errorf("%s contains %s (U+%04X)", field, what, r)
		}
	}
	return nil
}

// unsafeRune names a character that may not appear in names and other
// free text about a person, or returns "". Control characters (C0, DEL and
// C1) and the invisible bidirectional formatting characters can make a
// name display as something else (U+202E turns "Ann\u202Eexe.pdf" around);
// zero-width joiners stay allowed, since some scripts and emoji need them.
func unsafeRune(r rune) string {
	switch {
	case r < 0x20 || r == 0x7f:
		return "a control character"
	case r >= 0x80 && r <= 0x9f:
		return "a C1 control character"
	case r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return "a bidirectional control character"
	case r == 0x2028 || r == 0x2029:
		return "a line or paragraph separator"
	case r == 0x200b || r == 0xfeff:
		return "an invisible zero-width character"
	}
	return ""
}

// Principal is the signed-in caller of a request.
type Principal struct {
	UserID    string
	Name      string
	Roles     Roles
	SessionID string
}

// HasAny reports whether the caller holds one of roles.
func (p Principal) HasAny(roles ...string) bool {
	for _, r := range roles {
		if p.Roles.Has(r) {
			return true
		}
	}
	return false
}

// IsAdmin reports whether the caller is an admin.
func (p Principal) IsAdmin() bool { return p.Roles.Has(RoleAdmin) }
