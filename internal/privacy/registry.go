// Package privacy answers for the personal data upskill holds: a person's
// export (JSON, or a ZIP with one JSON and one CSV per kind), erasure that
// keeps the completion evidence under a stable pseudonym, and retention
// periods after which answers, comments and audit details are removed.
//
// Every kind of personal data is one Kind in a Registry: how to export it
// and how to erase or pseudonymise it. A package that adds a table about
// people registers its Kind in one place (internal/app/services), and the
// schema-coverage test fails until it does.
package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Subject is the person being exported or erased, as they were before any
// change.
type Subject struct {
	UserID     string
	Email      string
	Name       string
	EmployeeID string // "" when none
	Department string
	// Pseudonym is set during erasure: the name the person's evidence is
	// kept under; PseudoEmail replaces the email.
	Pseudonym, PseudoEmail string
	// BySelf: the person exports their own data (SelfOnly kinds are
	// included).
	BySelf bool
	// Former are earlier emails, names and employee ids of the person that
	// the audit log recorded (account changes); erasure scrubs them too.
	Former []string
}

// Emails are the person's current and former email addresses.
func (s Subject) Emails() []string {
	out := []string{s.Email}
	for _, f := range s.Former {
		if strings.Contains(f, "@") && f != s.Email {
			out = append(out, f)
		}
	}
	return out
}

// Values are the personal values that must not survive an erasure, longest
// first (so a name inside an email is replaced as part of the email).
func (s Subject) Values() []string {
	var out []string
	for _, v := range append([]string{s.Email, s.Name, s.EmployeeID}, s.Former...) {
		if strings.TrimSpace(v) != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// Scrub replaces every personal value of s in text: the email by the
// pseudonymous email, the rest by the pseudonym.
func (s Subject) Scrub(text string) string {
	for _, v := range s.Values() {
		repl := s.Pseudonym
		if strings.Contains(v, "@") {
			repl = s.PseudoEmail
		}
		text = replaceFold(text, v, repl)
	}
	return text
}

// replaceFold replaces old in s without regard to case (emails are stored
// lower-case, but a typed one in an audit entry may not be), where it
// stands as a whole: not inside a longer word or number, so erasing "Al"
// leaves "journal" alone.
func replaceFold(s, old, repl string) string {
	if old == "" {
		return s
	}
	lower, lowOld := strings.ToLower(s), strings.ToLower(old)
	if len(lower) != len(s) || len(lowOld) != len(old) {
		// Case folding changed byte lengths: match the exact spelling.
		lower, lowOld = s, old
	}
	var b strings.Builder
	from := 0
	for {
		i := strings.Index(lower[from:], lowOld)
		if i < 0 {
			b.WriteString(s[from:])
			return b.String()
		}
		i += from
		end := i + len(old)
		if wordRune(lastRune(s[:i])) || wordRune(firstRune(s[end:])) {
			b.WriteString(s[from:end])
		} else {
			b.WriteString(s[from:i])
			b.WriteString(repl)
		}
		from = end
	}
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// wordRune: a letter or digit continues a word (utf8.RuneError, from an
// empty string, does not).
func wordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// Table is one kind's rows for one person: Columns in order, each row one
// value per column. Values are strings, numbers, booleans, times, nil, or
// json.RawMessage for structured values.
type Table struct {
	Columns []string
	Rows    [][]any
}

// Kind is one kind of personal data.
type Kind struct {
	// Name keys the kind in the JSON export and names its files in the ZIP.
	Name string
	// Tables are the tables this kind answers for (the coverage test).
	Tables []string
	// SelfOnly kinds are left out of an admin's export of someone (pulse
	// answers).
	SelfOnly bool
	// Export reads the person's rows; nil: nothing to export (the kind
	// only erases).
	Export func(ctx context.Context, db *gorm.DB, s Subject) (Table, error)
	// Erase removes or pseudonymises the person's rows inside the erasure
	// transaction; nil: kept as they are (they hold only ids and facts
	// that stay as evidence under the pseudonym).
	Erase func(ctx context.Context, tx *gorm.DB, s Subject) error
}

// Registry holds the kinds, in the order exports list them and erasure
// runs them, and the tables that hold a user reference but no personal
// data, each with the reason.
type Registry struct {
	kinds  []Kind
	exempt map[string]string
}

// Register adds a kind; its name must be new.
func (r *Registry) Register(k Kind) {
	for _, o := range r.kinds {
		if o.Name == k.Name {
			panic(fmt.Sprintf("privacy: kind %q registered twice", k.Name))
		}
	}
	r.kinds = append(r.kinds, k)
}

// Exempt records that table refers to people without holding data about
// them that an export or erasure must handle, and why.
func (r *Registry) Exempt(table, reason string) {
	if r.exempt == nil {
		r.exempt = map[string]string{}
	}
	r.exempt[table] = reason
}

// Kinds returns the registered kinds in order.
func (r *Registry) Kinds() []Kind { return slices.Clone(r.kinds) }

// Coverage maps every table the registry answers for to the kind that
// covers it, or to "exempt: <reason>".
func (r *Registry) Coverage() map[string]string {
	out := map[string]string{}
	for t, why := range r.exempt {
		out[t] = "exempt: " + why
	}
	for _, k := range r.kinds {
		for _, t := range k.Tables {
			out[t] = k.Name
		}
	}
	return out
}

// queryTable runs a query and returns its rows as a Table with values
// normalised: bytes become text, times UTC, and the columns named in
// jsonCols are parsed JSON.
func queryTable(ctx context.Context, db *gorm.DB, jsonCols []string, sql string, args ...any) (Table, error) {
	rows, err := db.WithContext(ctx).Raw(sql, args...).Rows()
	if err != nil {
		return Table{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: cols, Rows: [][]any{}}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return Table{}, err
		}
		for i, v := range vals {
			vals[i] = normalise(v, slices.Contains(jsonCols, cols[i]))
		}
		t.Rows = append(t.Rows, vals)
	}
	return t, rows.Err()
}

func normalise(v any, isJSON bool) any {
	switch x := v.(type) {
	case []byte:
		v = string(x)
	case time.Time:
		return x.UTC()
	}
	if s, ok := v.(string); ok && isJSON {
		if json.Valid([]byte(s)) {
			return json.RawMessage(s)
		}
	}
	return v
}

// QueryTable reads a kind's rows for an export: sql's columns in order,
// jsonCols decoded as structured values. For kinds registered from other
// packages.
func QueryTable(ctx context.Context, db *gorm.DB, jsonCols []string, sql string, args ...any) (Table, error) {
	return queryTable(ctx, db, jsonCols, sql, args...)
}

// DeleteRows is an Erase that deletes the person's rows of table, where
// holds one placeholder for the user id.
func DeleteRows(table, where string) func(context.Context, *gorm.DB, Subject) error {
	return deleteWhere(table, where)
}
