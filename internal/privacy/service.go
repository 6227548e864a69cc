package privacy

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/records"
	"github.com/upskill/upskill/internal/reports"
	"github.com/upskill/upskill/internal/store"
)

// Audit actions.
const (
	ActionExported = "user.exported"
	ActionErased   = "user.erased"
	ActionRetained = "retention.applied"
)

// TypeLastAdmin is the problem type of an erasure refused because the
// person is the last admin.
const TypeLastAdmin = "last-admin"

// TypeAlreadyErased: the person was erased before.
const TypeAlreadyErased = "already-erased"

// PseudoDomain is the domain of the email an erased person keeps (a
// reserved name that never receives mail).
const PseudoDomain = "erased.invalid"

// MaxReason bounds an erasure's reason, in characters.
const MaxReason = 1000

// Options configure the service.
type Options struct {
	// Signer re-signs records under the pseudonym.
	Signer *records.Signer
	Now    func() time.Time
	Log    *slog.Logger
	// Retention periods; zero keeps for ever.
	Retention Retention
}

// Service exports and erases people's data and applies retention.
type Service struct {
	db     *store.DB
	signer *records.Signer
	now    func() time.Time
	log    *slog.Logger
	ret    Retention
	Registry
}

// New returns the service with the core kinds registered; other packages
// Register theirs (see internal/app/services).
func New(db *store.DB, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, signer: opt.Signer, now: opt.Now, log: opt.Log, ret: opt.Retention}
	for _, k := range s.builtinKinds() {
		s.Register(k)
	}
	for t, why := range coreExemptions {
		s.Exempt(t, why)
	}
	return s
}

// coreExemptions are core tables that name a person only as the actor of
// a change (an id), never with data about them: after erasure the id
// points at the pseudonymised user row.
var coreExemptions = map[string]string{
	"module_revisions": "published_by is the id of the trainer who published; no personal data",
	"assignment_rules": "created_by is the id of who made the rule; no personal data",
	"policy_revisions": "published_by is the id of who published; no personal data",
}

func (s *Service) clock() time.Time { return store.Timestamp(s.now()) }

// subject loads the person as stored.
func (s *Service) subject(ctx context.Context, db *gorm.DB, userID string) (Subject, identity.User, error) {
	var u identity.User
	err := db.WithContext(ctx).Take(&u, "id = ?", userID).Error
	if store.IsNotFound(err) {
		return Subject{}, u, fault.New(fault.NotFound, "no user %q", userID)
	}
	if err != nil {
		return Subject{}, u, fault.Wrap(err, "could not read the user")
	}
	sub := Subject{UserID: u.ID, Email: u.Email, Name: u.Name, Department: u.Department}
	if u.EmployeeID != nil {
		sub.EmployeeID = *u.EmployeeID
	}
	return sub, u, nil
}

// Format of an export.
type Format string

const (
	JSON Format = "json"
	ZIP  Format = "zip"
)

// ParseFormat reads ?format= (json by default).
func ParseFormat(v string) (Format, error) {
	switch v {
	case "", "json":
		return JSON, nil
	case "zip":
		return ZIP, nil
	}
	return "", fault.BadField("unknown export format", "format", "one of json, zip")
}

// ContentType is the media type of f.
func (f Format) ContentType() string {
	if f == ZIP {
		return "application/zip"
	}
	return "application/json"
}

// FileName is the name the export is saved as.
func (s *Service) FileName(f Format) string {
	return fmt.Sprintf("upskill-export-%s.%s", s.clock().Format("2006-01-02"), f)
}

// Export writes everything held about userID in format to w. bySelf is
// true when the person exports their own data; otherwise actorID (an
// admin) is audited as having exported it, before the first byte. start
// is called once the export is known to go ahead, before the first byte.
func (s *Service) Export(ctx context.Context, actorID, userID string, bySelf bool, f Format, w io.Writer, start func()) error {
	if !validID(userID) {
		return fault.New(fault.NotFound, "no user %q", userID)
	}
	sub, _, err := s.subject(ctx, s.db.R, userID)
	if err != nil {
		return err
	}
	sub.BySelf = bySelf
	if !bySelf {
		if err := s.db.Tx(ctx, func(tx *gorm.DB) error {
			return audit.Record(ctx, tx, actorID, ActionExported, userID, map[string]any{"format": string(f)})
		}); err != nil {
			return err
		}
	}
	start()
	if f == ZIP {
		return s.writeZIP(ctx, sub, w)
	}
	return s.writeJSON(ctx, sub, w)
}

func (s *Service) kindsFor(sub Subject) []Kind {
	var out []Kind
	for _, k := range s.kinds {
		if k.Export == nil || (k.SelfOnly && !sub.BySelf) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// writeJSON streams {"user_id","exported_at","kinds":{"<kind>":[{…}],…}},
// one kind at a time.
func (s *Service) writeJSON(ctx context.Context, sub Subject, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	head, _ := json.Marshal(map[string]string{"user_id": sub.UserID, "exported_at": s.clock().Format(time.RFC3339)})
	// {"exported_at":…,"user_id":…} without its closing brace.
	if _, err := bw.Write(head[:len(head)-1]); err != nil {
		return err
	}
	if _, err := bw.WriteString(`,"kinds":{`); err != nil {
		return err
	}
	for i, k := range s.kindsFor(sub) {
		t, err := k.Export(ctx, s.db.R, sub)
		if err != nil {
			return fmt.Errorf("export %s: %w", k.Name, err)
		}
		if i > 0 {
			if err := bw.WriteByte(','); err != nil {
				return err
			}
		}
		name, _ := json.Marshal(k.Name)
		if _, err := bw.Write(append(name, ':')); err != nil {
			return err
		}
		if err := writeRows(bw, t); err != nil {
			return err
		}
	}
	if _, err := bw.WriteString("}}\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// writeRows writes t as a JSON array of objects, keys in column order.
func writeRows(w *bufio.Writer, t Table) error {
	if err := w.WriteByte('['); err != nil {
		return err
	}
	for i, r := range t.Rows {
		if i > 0 {
			if err := w.WriteByte(','); err != nil {
				return err
			}
		}
		if err := w.WriteByte('{'); err != nil {
			return err
		}
		for j, v := range r {
			if j > 0 {
				if err := w.WriteByte(','); err != nil {
					return err
				}
			}
			k, _ := json.Marshal(t.Columns[j])
			if tm, ok := v.(time.Time); ok {
				v = tm.UTC().Format(time.RFC3339Nano)
			}
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			if _, err := w.Write(append(append(k, ':'), b...)); err != nil {
				return err
			}
		}
		if err := w.WriteByte('}'); err != nil {
			return err
		}
	}
	return w.WriteByte(']')
}

// writeZIP writes <kind>.json and <kind>.csv per kind.
func (s *Service) writeZIP(ctx context.Context, sub Subject, w io.Writer) error {
	zw := zip.NewWriter(w)
	for _, k := range s.kindsFor(sub) {
		t, err := k.Export(ctx, s.db.R, sub)
		if err != nil {
			return fmt.Errorf("export %s: %w", k.Name, err)
		}
		jf, err := zw.Create(k.Name + ".json")
		if err != nil {
			return err
		}
		bw := bufio.NewWriter(jf)
		if err := writeRows(bw, t); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		cf, err := zw.Create(k.Name + ".csv")
		if err != nil {
			return err
		}
		if err := writeCSV(cf, t); err != nil {
			return err
		}
	}
	return zw.Close()
}

func writeCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, reports.UTF8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Columns); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for _, r := range t.Rows {
		for i, v := range r {
			rec[i] = csvCell(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return reports.Neutralise(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case json.RawMessage:
		return reports.Neutralise(string(x))
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return reports.Neutralise(string(b))
	}
}

// Erased is what an erasure answers.
type Erased struct {
	ID        string
	Pseudonym string
}

// NewPseudonym is a stable, meaningless name for an erased person.
func NewPseudonym() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "erased-" + hex.EncodeToString(b)
}

// Erase removes userID's personal data (admins only; the caller checks the
// role): their name, email and employee id are replaced by a pseudonym,
// free text and self-reported answers go, sessions end, records are
// re-signed under the pseudonym, and every registered kind erases its
// part, in one transaction audited without personal data. The last admin
// cannot be erased. On SQLite the WAL is then checkpointed, so with
// secure_delete the erased values leave the database files.
func (s *Service) Erase(ctx context.Context, actor identity.Principal, userID, reason string) (Erased, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Erased{}, fault.InvalidFields("a reason is required to erase a person", fault.FieldError{Field: "reason", Message: "required"})
	case utf8.RuneCountInString(reason) > MaxReason:
		return Erased{}, fault.InvalidFields("the reason is too long", fault.FieldError{Field: "reason", Message: "at most 1000 characters"})
	}
	if !validID(userID) {
		return Erased{}, fault.New(fault.NotFound, "no user %q", userID)
	}
	var out Erased
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		sub, u, err := s.subject(ctx, tx, userID)
		if err != nil {
			return err
		}
		var erasedAt []time.Time
		if err := tx.WithContext(ctx).Table("users").Where("id = ? AND erased_at IS NOT NULL", userID).
			Pluck("erased_at", &erasedAt).Error; err != nil {
			return err
		}
		if len(erasedAt) > 0 {
			return fault.Typed(fault.Conflict, TypeAlreadyErased, "user %q was already erased", userID)
		}
		if u.Roles.Has(identity.RoleAdmin) {
			var admins []identity.User
			if err := tx.WithContext(ctx).Where("disabled = ? AND id <> ?", false, userID).Find(&admins).Error; err != nil {
				return err
			}
			others := 0
			for _, a := range admins {
				if a.Roles.Has(identity.RoleAdmin) {
					others++
				}
			}
			if others == 0 {
				return fault.Typed(fault.Conflict, TypeLastAdmin, "user %q is the last admin; make someone else an admin first", userID)
			}
		}
		if sub.Former, err = formerValues(ctx, tx, sub); err != nil {
			return err
		}
		sub.Pseudonym = NewPseudonym()
		sub.PseudoEmail = sub.Pseudonym + "@" + PseudoDomain
		for _, k := range s.kinds {
			if k.Erase == nil {
				continue
			}
			if err := k.Erase(ctx, tx, sub); err != nil {
				return fmt.Errorf("erase %s: %w", k.Name, err)
			}
		}
		out = Erased{ID: userID, Pseudonym: sub.Pseudonym}
		// The reason is the admin's words; it may not quote the person.
		return audit.Record(ctx, tx, actor.UserID, ActionErased, userID, map[string]any{
			"reason": sub.Scrub(reason), "pseudonym": sub.Pseudonym})
	})
	if err != nil {
		return Erased{}, fault.Ensure(err, "could not erase user %q", userID)
	}
	s.Checkpoint(ctx)
	s.log.InfoContext(ctx, "person erased", slog.String("user_id", userID), slog.String("pseudonym", out.Pseudonym))
	return out, nil
}

// Checkpoint moves SQLite's write-ahead log into the database file and
// truncates it, so values overwritten (secure_delete) leave the -wal file
// too. It does nothing on PostgreSQL.
func (s *Service) Checkpoint(ctx context.Context) {
	if s.db.Dialect != store.SQLite {
		return
	}
	var busy, logFrames, done int
	if err := s.db.W.WithContext(ctx).Raw("PRAGMA wal_checkpoint(TRUNCATE)").Row().Scan(&busy, &logFrames, &done); err != nil || busy != 0 {
		s.log.WarnContext(ctx, "the WAL checkpoint after an erasure did not complete; it completes at the next checkpoint",
			slog.Int("busy", busy), slog.Any("error", err))
	}
}

// validID: user ids are UUIDs; anything else names nobody.
func validID(id string) bool { return uuid.Validate(id) == nil }

// formerValues reads the emails, names and employee ids the audit log
// recorded for the person when their account was created or changed.
func formerValues(ctx context.Context, tx *gorm.DB, sub Subject) ([]string, error) {
	var rows []struct{ Details string }
	if err := tx.WithContext(ctx).Table("audit_events").Select("details").
		Where("target = ? AND action IN ?", sub.UserID, []string{audit.UserCreated, audit.UserUpdated}).Scan(&rows).Error; err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		var d map[string]any
		if json.Unmarshal([]byte(r.Details), &d) != nil {
			continue
		}
		for _, k := range []string{"email", "name", "employee_id"} {
			if v, ok := d[k].(string); ok && strings.TrimSpace(v) != "" {
				out = append(out, v)
			}
		}
	}
	return out, nil
}
