package learning

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/events"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/records"
	"github.com/upskill/upskill/internal/store"
)

// Record statuses. Verification adds Invalid for a credential whose
// signature does not check out against the published keys.
const (
	RecordValid   = "valid"
	RecordExpired = "expired"
	RecordRevoked = "revoked"
	Invalid       = "invalid"
)

// MaxRevokeReason bounds a revocation reason, in characters.
const MaxRevokeReason = 1000

// Record is a completion record: proof that a person completed a revision
// of a module. Credential is the signed JWS of the same facts.
type Record struct {
	ID           string
	UserID       string
	HolderName   string
	Module       string
	ModuleTitle  string
	Revision     int
	ContentHash  string
	Cycle        int     // the certification round it ended (0 for the first)
	AttemptID    *string // the passed attempt it rests on; nil without a quiz
	Score        *int    // that attempt's score; nil without a quiz
	IssuedAt     time.Time
	ExpiresAt    *time.Time
	RevokedAt    *time.Time
	RevokedBy    *string
	RevokeReason string
	Credential   string
	// Kind is KindModule or KindPath; Path names the path of a path
	// record (nil for a module record).
	Kind string
	Path *string
	// Status is valid, expired or revoked at the time it was read.
	Status string `gorm:"-"`
}

func (Record) TableName() string { return "records" }

// statusAt: revoked wins over expired; a record expires at its expires_at
// (the credential's exp).
func (r *Record) statusAt(now time.Time) string {
	switch {
	case r.RevokedAt != nil:
		return RecordRevoked
	case !RecordCurrent(r.ExpiresAt, now):
		return RecordExpired
	default:
		return RecordValid
	}
}

// mayView: the holder, HR and admins see a record; anyone else is told it
// does not exist.
func mayView(p identity.Principal, r *Record) bool {
	return r.UserID == p.UserID || p.HasAny(identity.RoleHR, identity.RoleAdmin)
}

func noRecord(id string) error { return fault.New(fault.NotFound, "no record %q", id) }

func (s *Service) findRecord(ctx context.Context, db *gorm.DB, id string) (*Record, error) {
	if !knownID(id) {
		return nil, noRecord(id)
	}
	var r Record
	err := scanRecord(recordByID.Row(ctx, db, id).Scan, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, noRecord(id)
	}
	if err != nil {
		return nil, fault.Wrap(err, "could not read record %q", id)
	}
	r.Status = r.statusAt(s.clock())
	return &r, nil
}

// recordByID reads one record, past GORM: public verification reads it on
// every request.
var recordByID = store.NewQuery(`SELECT ` + recordColumns + ` FROM records WHERE id = ?`)

// GetRecord returns a record to its holder, HR or an admin.
func (s *Service) GetRecord(ctx context.Context, viewer identity.Principal, id string) (Record, error) {
	r, err := s.findRecord(ctx, s.db.R, id)
	if err != nil {
		return Record{}, err
	}
	if !mayView(viewer, r) {
		return Record{}, noRecord(id)
	}
	return *r, nil
}

// ListRecords returns a page of userID's records, newest first.
func (s *Service) ListRecords(ctx context.Context, userID string, p page.Request) ([]Record, string, error) {
	p = p.OrDefault()
	q := s.db.R.WithContext(ctx).Where("user_id = ?", userID)
	if p.Cursor != "" {
		at, id, ok := strings.Cut(p.Cursor, "|")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil || !knownID(id) {
			return nil, "", page.ErrBadCursor
		}
		q = q.Where("issued_at < ? OR (issued_at = ? AND id < ?)", t, t, id)
	}
	var recs []Record
	if err := q.Order("issued_at DESC, id DESC").Limit(p.Limit + 1).Find(&recs).Error; err != nil {
		return nil, "", fault.Wrap(err, "could not read records")
	}
	recs, next := page.Trim(recs, p.Limit, func(r Record) string {
		return r.IssuedAt.UTC().Format(time.RFC3339Nano) + "|" + r.ID
	})
	now := s.clock()
	for i := range recs {
		recs[i].Status = recs[i].statusAt(now)
	}
	return recs, next, nil
}

// Revoke withdraws a record (admins only), for the reason given, and
// audits it in the same transaction. The module then no longer counts as
// completed for its holder, who may take it again.
func (s *Service) Revoke(ctx context.Context, actor identity.Principal, id, reason string) (Record, error) {
	if !actor.IsAdmin() {
		return Record{}, fault.New(fault.Forbidden, "only admins may revoke records")
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Record{}, fault.InvalidFields("a reason is required to revoke a record",
			fault.FieldError{Field: "reason", Message: "required"})
	case utf8.RuneCountInString(reason) > MaxRevokeReason:
		return Record{}, fault.InvalidFields("the reason is too long",
			fault.FieldError{Field: "reason", Message: "at most 1000 characters"})
	}
	if bad := checkText("reason", reason); bad != nil {
		return Record{}, fault.InvalidFields(bad.Message, *bad)
	}
	var out *Record
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r, err := s.findRecord(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.RevokedAt != nil {
			return fault.Typed(fault.Conflict, TypeRecordRevoked, "record %q was already revoked on %s",
				id, r.RevokedAt.UTC().Format(time.RFC3339))
		}
		now := s.clock()
		res := tx.WithContext(ctx).Model(&Record{}).Where("id = ? AND revoked_at IS NULL", id).
			Updates(map[string]any{"revoked_at": now, "revoked_by": actor.UserID, "revoke_reason": reason})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fault.Typed(fault.Conflict, TypeRecordRevoked, "record %q was already revoked", id)
		}
		r.RevokedAt, r.RevokedBy, r.RevokeReason, r.Status = &now, &actor.UserID, reason, RecordRevoked
		out = r
		if err := s.Events.Emit(tx, events.Event{Type: events.RecordRevoked, UserID: r.UserID, At: now,
			Data: map[string]any{"record_id": r.ID, "user_id": r.UserID, "module": r.Module, "revision": r.Revision,
				"revoked_at": now.UTC()}}); err != nil {
			return err
		}
		if !r.IsPath() {
			if err := s.revokePathRecords(ctx, tx, actor.UserID, r.UserID, r.Module, r.ID, now); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor.UserID, audit.RecordRevoked, id, map[string]any{
			"reason": reason, "user_id": r.UserID, "module": r.Module, "revision": r.Revision,
		})
	})
	if err != nil {
		return Record{}, fault.Ensure(err, "could not revoke record %q", id)
	}
	return *out, nil
}

// Verification is what a third party learns about a record: never an
// email or a user id.
type Verification struct {
	Valid  bool
	Status string         // valid, expired, revoked or invalid
	Record *VerifiedFacts // nil when the credential is not genuine
}

// VerifiedFacts are the facts of a record a verifier is shown.
type VerifiedFacts struct {
	Kind        string  // KindModule or KindPath
	Path        *string // the path of a path record
	ID          string
	HolderName  string
	Module      string
	ModuleTitle string
	Revision    int
	IssuedAt    time.Time
	ExpiresAt   *time.Time
}

func factsOf(r *Record) *VerifiedFacts {
	f := &VerifiedFacts{Kind: KindModule, ID: r.ID, HolderName: r.HolderName, Module: r.Module, ModuleTitle: r.ModuleTitle,
		Revision: r.Revision, IssuedAt: r.IssuedAt, ExpiresAt: r.ExpiresAt}
	if r.IsPath() {
		f.Kind, f.Path, f.Module, f.Revision = KindPath, r.Path, "", 0
	}
	return f
}

// Verify checks the stored credential of record id against the published
// keys, then its status. It answers NotFound for an unknown id.
func (s *Service) Verify(ctx context.Context, id string) (Verification, error) {
	r, err := s.findRecord(ctx, s.db.R, id)
	if err != nil {
		return Verification{}, err
	}
	c, err := s.verified.VerifyAt(r.Credential, s.signer.Keys, s.signer.Issuer, s.now())
	if err != nil || !sameFacts(c, r) {
		// The key that signed it is no longer published, or the row was
		// altered: the record cannot be vouched for, nor its facts shown.
		return Verification{Status: Invalid}, nil
	}
	return Verification{Valid: r.Status == RecordValid, Status: r.Status, Record: factsOf(r)}, nil
}

// sameFacts reports whether the row r says what its signed claims c say:
// a row altered after signing (a holder renamed, an expiry pushed back)
// must not be vouched for on the strength of a genuine credential.
func sameFacts(c *records.Claims, r *Record) bool {
	sameExpiry := c.ExpiresAt == nil && r.ExpiresAt == nil ||
		c.ExpiresAt != nil && r.ExpiresAt != nil && c.ExpiresAt.Equal(*r.ExpiresAt)
	sameScore := c.Score == nil && r.Score == nil || c.Score != nil && r.Score != nil && *c.Score == *r.Score
	if r.IsPath() || c.Kind == KindPath {
		return r.IsPath() && c.Kind == KindPath && r.Path != nil && c.Path == *r.Path && c.ID == r.ID &&
			c.Subject == r.UserID && c.ModuleTitle == r.ModuleTitle && c.HolderName == r.HolderName &&
			c.IssuedAt != nil && c.IssuedAt.Equal(r.IssuedAt) && sameExpiry && sameScore
	}
	return c.ID == r.ID && c.Subject == r.UserID && c.Module == r.Module && c.ModuleTitle == r.ModuleTitle &&
		c.Revision == r.Revision && c.ContentHash == r.ContentHash && c.HolderName == r.HolderName &&
		c.IssuedAt != nil && c.IssuedAt.Equal(r.IssuedAt) && sameExpiry && sameScore
}

// VerifyCredential checks a credential as presented by its holder: its
// signature against the published keys, then the status of the record it
// names. A credential that is malformed, forged or altered answers
// valid:false with status invalid and no facts; it is not an error.
func (s *Service) VerifyCredential(ctx context.Context, credential string) (Verification, error) {
	now := s.now()
	c, err := s.verified.VerifyAt(strings.TrimSpace(credential), s.signer.Keys, s.signer.Issuer, now)
	if err != nil {
		return Verification{Status: Invalid}, nil
	}
	r, err := s.findRecord(ctx, s.db.R, c.ID)
	switch {
	case err == nil && r.Credential != strings.TrimSpace(credential) && s.superseded(ctx, r.ID, strings.TrimSpace(credential)):
		// An older credential of this record, replaced when its holder was
		// erased (re-signed under a pseudonym): recognised by its stored
		// hash, and answered with the record as it stands now.
		return Verification{Valid: r.Status == RecordValid, Status: r.Status, Record: factsOf(r)}, nil
	case err == nil && (r.Credential != strings.TrimSpace(credential) || !sameFacts(c, r)):
		// Signed by our key but not what we issued under that id, or the
		// row no longer says what was signed.
		return Verification{Status: Invalid}, nil
	case err == nil:
		return Verification{Valid: r.Status == RecordValid, Status: r.Status, Record: factsOf(r)}, nil
	case !fault.Is(err, fault.NotFound):
		return Verification{}, err
	}
	// Genuinely ours but unknown here (say, a database restored from an
	// older backup): the signature and its own dates are all we can check.
	facts := &VerifiedFacts{Kind: KindModule, ID: c.ID, HolderName: c.HolderName, Module: c.Module, ModuleTitle: c.ModuleTitle,
		Revision: c.Revision, IssuedAt: c.IssuedAt.UTC()}
	if c.Kind == KindPath {
		path := c.Path
		facts.Kind, facts.Path = KindPath, &path
	}
	status := RecordValid
	if c.ExpiresAt != nil {
		exp := c.ExpiresAt.UTC()
		facts.ExpiresAt = &exp
	}
	if c.Expired(now) {
		status = RecordExpired
	}
	return Verification{Valid: status == RecordValid, Status: status, Record: facts}, nil
}

// superseded reports whether credential is an older credential of record
// id: only its SHA-256 (hex) is kept, in superseded_credentials.
func (s *Service) superseded(ctx context.Context, id, credential string) bool {
	sum := sha256.Sum256([]byte(credential))
	var n int64
	err := s.db.R.WithContext(ctx).Table("superseded_credentials").
		Where("credential_sha256 = ? AND record_id = ?", hex.EncodeToString(sum[:]), id).Count(&n).Error
	return err == nil && n > 0
}

// Certificate returns what the printable certificate of record id shows,
// to its holder, HR or an admin. The caller adds the verification URL. A
// revoked record has none (409 record-revoked): a fresh printout would
// still look like proof to anyone who does not scan its code.
func (s *Service) Certificate(ctx context.Context, viewer identity.Principal, id string) (records.Certificate, error) {
	r, err := s.GetRecord(ctx, viewer, id)
	if err != nil {
		return records.Certificate{}, err
	}
	if r.RevokedAt != nil {
		return records.Certificate{}, fault.Typed(fault.Conflict, TypeRecordRevoked,
			"record %q was revoked on %s; it has no certificate", id, r.RevokedAt.UTC().Format(time.RFC3339))
	}
	return records.Certificate{HolderName: r.HolderName, ModuleTitle: r.ModuleTitle, Revision: r.Revision, Path: r.IsPath(),
		Score: r.Score, IssuedAt: r.IssuedAt, ExpiresAt: r.ExpiresAt, RecordID: r.ID}, nil
}
