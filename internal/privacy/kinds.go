package privacy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/records"
)

// builtinKinds are the kinds of the core tables, in export order. The
// audit kind comes last: its erasure scrubs what the others left in the
// log.
func (s *Service) builtinKinds() []Kind {
	return []Kind{
		{
			Name: "profile", Tables: []string{"users"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT id, email, name, department, employee_id, manager_id, roles,
  password_hash IS NOT NULL AS has_password, disabled, external_id, scim_user_name, created_at, updated_at
  FROM users WHERE id = ?`, sub.UserID)
			},
			Erase: func(ctx context.Context, tx *gorm.DB, sub Subject) error {
				// Not disabled: a disabled person leaves the reports, and
				// the evidence must keep its counts. Without a password,
				// an email or roles beyond learner, nobody can sign in as them.
				now := s.clock()
				return tx.WithContext(ctx).Exec(`UPDATE users SET name = ?, email = ?, employee_id = NULL, password_hash = NULL,
  external_id = NULL, scim_user_name = NULL, roles = ?, erased_at = ?, updated_at = ? WHERE id = ?`, sub.Pseudonym, sub.PseudoEmail, "learner", now, now, sub.UserID).Error
			},
		},
		{
			Name: "sessions", Tables: []string{"refresh_tokens"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				// Never a token or its hash.
				return queryTable(ctx, db, nil, `SELECT id, family_id, created_at, expires_at, family_expires_at, spent_at, revoked_at
  FROM refresh_tokens WHERE user_id = ? ORDER BY created_at, id`, sub.UserID)
			},
			Erase: deleteWhere("refresh_tokens", "user_id = ?"),
		},
		{
			Name: "account_links", Tables: []string{"user_tokens"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT purpose, created_at, expires_at, used_at FROM user_tokens
  WHERE user_id = ? ORDER BY created_at`, sub.UserID)
			},
			Erase: deleteWhere("user_tokens", "user_id = ?"),
		},
		{
			Name: "assignments", Tables: []string{"assignments"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT id, module, due_at, assigned_at, grace_days, rule_id IS NOT NULL AS by_rule
  FROM assignments WHERE user_id = ? ORDER BY assigned_at, module`, sub.UserID)
			},
		},
		{
			Name: "enrollments", Tables: []string{"enrollments"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT module, revision, enrolled_at, updated_at FROM enrollments
  WHERE user_id = ? ORDER BY module`, sub.UserID)
			},
		},
		{
			Name: "lesson_progress", Tables: []string{"lesson_progress"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT module, lesson, seconds_spent, completed_at, updated_at FROM lesson_progress
  WHERE user_id = ? ORDER BY module, lesson`, sub.UserID)
			},
		},
		{Name: "attempts", Tables: []string{"attempts"}, Export: exportAttempts},
		{
			Name: "records", Tables: []string{"records", "superseded_credentials"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT id, kind, path, module, module_title, revision, content_hash, holder_name, score,
  issued_at, expires_at, revoked_at, revoke_reason, credential FROM records WHERE user_id = ? ORDER BY issued_at, id`, sub.UserID)
			},
			Erase: s.resignRecords,
		},
		{
			Name: "feedback", Tables: []string{"feedback"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT module, revision, rating, comment, created_at, updated_at FROM feedback
  WHERE user_id = ? ORDER BY module`, sub.UserID)
			},
			// The rating stays in the module's average; the free text goes.
			Erase: func(ctx context.Context, tx *gorm.DB, sub Subject) error {
				return tx.WithContext(ctx).Exec(`UPDATE feedback SET comment = '' WHERE user_id = ?`, sub.UserID).Error
			},
		},
		{
			Name: "policy_acknowledgements", Tables: []string{"policy_acknowledgements"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT policy, version, acknowledged_at FROM policy_acknowledgements
  WHERE user_id = ? ORDER BY policy, version`, sub.UserID)
			},
			// Kept as evidence under the pseudonym, like records.
		},
		{
			Name: "notification_settings", Tables: []string{"notification_prefs"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT reminders, updated_at FROM notification_prefs WHERE user_id = ?`, sub.UserID)
			},
			Erase: deleteWhere("notification_prefs", "user_id = ?"),
		},
		{
			Name: "reminders_sent", Tables: []string{"reminders_sent"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT item, sent_on FROM reminders_sent WHERE user_id = ? ORDER BY sent_on, item`, sub.UserID)
			},
			Erase: deleteWhere("reminders_sent", "user_id = ?"),
		},
		{
			// Messages to the person (invitations, digests): their payloads
			// hold ids only, but a relay's error may quote the address.
			Name: "deliveries", Tables: []string{"outbox"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT id, target, kind, status, attempts, last_error, created_at, delivered_at
  FROM outbox WHERE ordering_key = ? ORDER BY id`, sub.UserID)
			},
			Erase: func(ctx context.Context, tx *gorm.DB, sub Subject) error {
				db := tx.WithContext(ctx)
				if err := db.Exec(`DELETE FROM outbox WHERE ordering_key = ? OR payload LIKE ? ESCAPE '\'`, sub.UserID, "%"+escapeLike(sub.UserID)+"%").Error; err != nil {
					return err
				}
				return scrubColumn(ctx, tx, "outbox", "id", "last_error", sub)
			},
		},
		{
			// The sign-in throttle counts failures per account (the email).
			Name: "sign_in_throttle", Tables: []string{"login_throttle"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, nil, `SELECT failures, window_start, locked_until FROM login_throttle
  WHERE account = ? ORDER BY key`, sub.Email)
			},
			Erase: func(ctx context.Context, tx *gorm.DB, sub Subject) error {
				for _, email := range sub.Emails() {
					if err := tx.WithContext(ctx).Exec(`DELETE FROM login_throttle WHERE account = ? OR key LIKE ? ESCAPE '\'`,
						email, "%"+escapeLike(email)+"%").Error; err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			// Entries the person made and entries about them. Erasure
			// replaces their name, email and employee id wherever the log
			// quotes them (failed sign-ins, account changes), and drops the
			// addresses their own requests came from.
			Name: "audit", Tables: []string{"audit_events"},
			Export: func(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
				return queryTable(ctx, db, []string{"details"}, `SELECT id, at, actor_id, action, target, details, client_ip
  FROM audit_events WHERE actor_id = ? OR target = ? OR target = ? ORDER BY id`, sub.UserID, sub.UserID, sub.Email)
			},
			Erase: func(ctx context.Context, tx *gorm.DB, sub Subject) error {
				if err := tx.WithContext(ctx).Exec(`UPDATE audit_events SET client_ip = '' WHERE actor_id = ?`, sub.UserID).Error; err != nil {
					return err
				}
				if err := scrubColumn(ctx, tx, "audit_events", "id", "target", sub); err != nil {
					return err
				}
				return scrubColumn(ctx, tx, "audit_events", "id", "details", sub)
			},
		},
	}
}

// deleteWhere erases by deleting the person's rows.
func deleteWhere(table, where string) func(context.Context, *gorm.DB, Subject) error {
	return func(ctx context.Context, tx *gorm.DB, sub Subject) error {
		return tx.WithContext(ctx).Exec("DELETE FROM "+table+" WHERE "+where, sub.UserID).Error
	}
}

func escapeLike(s string) string {
	r := []byte{}
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '_' || s[i] == '\\' {
			r = append(r, '\\')
		}
		r = append(r, s[i])
	}
	return string(r)
}

// jsonForms are the spellings of v that JSON text may hold: as is, and
// with its special characters escaped (a quote, non-ASCII as \u escapes).
func jsonForms(v string) []string {
	forms := []string{v}
	b, _ := json.Marshal(v)
	if e := string(b[1 : len(b)-1]); e != v {
		forms = append(forms, e)
	}
	ascii := asciiEscape(v)
	if ascii != v {
		forms = append(forms, ascii)
	}
	return forms
}

func asciiEscape(v string) string {
	out := []byte{}
	for _, r := range v {
		if r < 0x80 {
			out = append(out, byte(r))
			continue
		}
		if r > 0xffff {
			r1, r2 := (r-0x10000)>>10+0xd800, (r-0x10000)&0x3ff+0xdc00
			out = append(out, fmt.Sprintf(`\u%04x\u%04x`, r1, r2)...)
			continue
		}
		out = append(out, fmt.Sprintf(`\u%04x`, r)...)
	}
	return string(out)
}

// scrubColumn rewrites column of every row of table that holds one of the
// person's values (as is or JSON-escaped), replacing them. A JSON column
// is rewritten value by value, so it stays valid JSON.
func scrubColumn(ctx context.Context, tx *gorm.DB, table, key, column string, sub Subject) error {
	db := tx.WithContext(ctx)
	var conds []string
	var args []any
	for _, v := range sub.Values() {
		for _, f := range jsonForms(v) {
			conds = append(conds, column+" LIKE ? ESCAPE '\\'")
			args = append(args, "%"+escapeLike(f)+"%")
		}
	}
	if len(conds) == 0 {
		return nil
	}
	q := fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s", key, column, table, joinOr(conds))
	rows, err := db.Raw(q, args...).Rows()
	if err != nil {
		return err
	}
	type change struct {
		key  any
		text string
	}
	var changes []change
	for rows.Next() {
		var k any
		var v string
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return err
		}
		if next := scrubText(v, sub); next != v {
			changes = append(changes, change{k, next})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range changes {
		if err := db.Exec(fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ?", table, column, key), c.text, c.key).Error; err != nil {
			return err
		}
	}
	return nil
}

func joinOr(conds []string) string {
	out := ""
	for i, c := range conds {
		if i > 0 {
			out += " OR "
		}
		out += c
	}
	return out
}

// scrubText replaces the person's values in text; JSON text is decoded,
// scrubbed string by string and encoded again.
func scrubText(text string, sub Subject) string {
	var v any
	if json.Unmarshal([]byte(text), &v) == nil {
		if _, isString := v.(string); !isString {
			b, err := json.Marshal(scrubValue(v, sub))
			if err == nil {
				return string(b)
			}
		}
	}
	return sub.Scrub(text)
}

func scrubValue(v any, sub Subject) any {
	switch x := v.(type) {
	case string:
		return sub.Scrub(x)
	case []any:
		for i := range x {
			x[i] = scrubValue(x[i], sub)
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[sub.Scrub(k)] = scrubValue(e, sub)
		}
		return out
	}
	return v
}

// recordRow is what re-signing needs of a record.
type recordRow struct {
	ID          string
	Kind        string
	Path        *string // a path record's path; its module fields are null
	Module      *string
	ModuleTitle string
	Revision    *int
	ContentHash *string
	Score       *int
	IssuedAt    time.Time
	ExpiresAt   *time.Time
	Credential  string
}

// resignRecords signs the person's records again with the pseudonym as
// holder, keeping only the SHA-256 of each old credential, so a copy of
// it is still recognised by POST /records/verify.
func (s *Service) resignRecords(ctx context.Context, tx *gorm.DB, sub Subject) error {
	db := tx.WithContext(ctx)
	var recs []recordRow
	if err := db.Table("records").Where("user_id = ?", sub.UserID).Find(&recs).Error; err != nil {
		return err
	}
	now := s.clock()
	for _, r := range recs {
		// The same claims as at issue, but the holder: a module record's
		// module facts, or a path record's kind and path.
		claims := records.Claims{Module: deref(r.Module), ModuleTitle: r.ModuleTitle, Revision: derefInt(r.Revision),
			ContentHash: deref(r.ContentHash), Score: r.Score, HolderName: sub.Pseudonym,
			RegisteredClaims: jwt.RegisteredClaims{Subject: sub.UserID, ID: r.ID, IssuedAt: jwt.NewNumericDate(r.IssuedAt.UTC())}}
		if r.Path != nil {
			// A path record names its path; its module column holds the
			// path's slug for the listings, never a module claim.
			claims.Kind, claims.Path = r.Kind, *r.Path
			claims.Module, claims.Revision, claims.ContentHash = "", 0, ""
		}
		if r.ExpiresAt != nil {
			claims.ExpiresAt = jwt.NewNumericDate(r.ExpiresAt.UTC())
		}
		cred, err := s.signer.Sign(claims)
		if err != nil {
			return err
		}
		if err := db.Exec(`INSERT INTO superseded_credentials (credential_sha256, record_id, superseded_at) VALUES (?, ?, ?)`,
			CredentialHash(r.Credential), r.ID, now).Error; err != nil {
			return err
		}
		if err := db.Exec(`UPDATE records SET holder_name = ?, credential = ? WHERE id = ?`, sub.Pseudonym, cred, r.ID).Error; err != nil {
			return err
		}
	}
	return nil
}

// CredentialHash is the stored form of a superseded credential.
func CredentialHash(credential string) string {
	sum := sha256.Sum256([]byte(credential))
	return hex.EncodeToString(sum[:])
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}
