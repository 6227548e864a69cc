package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// Audit actions of SCIM tokens.
const (
	ActionScimTokenCreated = "scim_token.created"
	ActionScimTokenRevoked = "scim_token.revoked"
)

// ScimToken is a bearer token an identity provider uses to provision
// people. Only its hash is stored; the token itself is shown once.
type ScimToken struct {
	ID         string
	Name       string
	TokenHash  string
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TableName is the scim_tokens table.
func (ScimToken) TableName() string { return "scim_tokens" }

// scimTokenPrefix marks provisioning tokens, so a token pasted in the
// wrong place is recognisable (and never parses as an access token).
const scimTokenPrefix = "upskill_scim_"

// CreateScimToken makes a provisioning token; plain is returned once.
func (s *Service) CreateScimToken(ctx context.Context, actor Principal, name string) (ScimToken, string, error) {
	name = strings.TrimSpace(name)
	if err := checkText("name", name, true, 100); err != nil {
		return ScimToken{}, "", fieldErr("name", err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	plain := scimTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	t := ScimToken{ID: uuid.NewString(), Name: name, TokenHash: HashRefreshToken(plain), CreatedBy: actor.UserID,
		CreatedAt: s.now()}
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor.UserID, ActionScimTokenCreated, t.ID, map[string]any{"name": name})
	})
	if err != nil {
		return ScimToken{}, "", fault.Ensure(err, "could not create the token")
	}
	return t, plain, nil
}

// ListScimTokens lists every provisioning token, newest first, revoked
// ones included.
func (s *Service) ListScimTokens(ctx context.Context) ([]ScimToken, error) {
	var out []ScimToken
	if err := s.db.R.WithContext(ctx).Order("created_at DESC, id").Find(&out).Error; err != nil {
		return nil, fault.Wrap(err, "could not list the tokens")
	}
	return out, nil
}

// RevokeScimToken ends a provisioning token at once. Revoking one already
// revoked changes nothing.
func (s *Service) RevokeScimToken(ctx context.Context, actor Principal, id string) error {
	return fault.Ensure(s.db.Tx(ctx, func(tx *gorm.DB) error {
		var t ScimToken
		err := tx.Take(&t, "id = ?", id).Error
		if store.IsNotFound(err) {
			return fault.New(fault.NotFound, "no SCIM token %q", id)
		}
		if err != nil || t.RevokedAt != nil {
			return err
		}
		if err := tx.Model(&ScimToken{}).Where("id = ?", id).Update("revoked_at", s.now()).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor.UserID, ActionScimTokenRevoked, id, map[string]any{"name": t.Name})
	}), "could not revoke the token")
}

var errBadScimToken = fault.New(fault.Unauthorized, "the SCIM token is missing, unknown or revoked")

// AuthenticateScim checks a provisioning bearer token and notes its use.
func (s *Service) AuthenticateScim(ctx context.Context, plain string) (ScimToken, error) {
	if !strings.HasPrefix(plain, scimTokenPrefix) {
		return ScimToken{}, errBadScimToken
	}
	var t ScimToken
	err := s.db.R.WithContext(ctx).Take(&t, "token_hash = ? AND revoked_at IS NULL", HashRefreshToken(plain)).Error
	if store.IsNotFound(err) {
		return ScimToken{}, errBadScimToken
	}
	if err != nil {
		return ScimToken{}, fault.Wrap(err, "could not check the token")
	}
	now := s.now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		// At most one write a minute per token: the column says whether a
		// token is still in use, not how often.
		_ = s.db.W.WithContext(ctx).Model(&ScimToken{}).Where("id = ?", t.ID).Update("last_used_at", now).Error
	}
	return t, nil
}

// ScimActive reports whether SCIM provisions people: some token is live.
func (s *Service) ScimActive(tx *gorm.DB) (bool, error) {
	var n int64
	err := tx.Model(&ScimToken{}).Where("revoked_at IS NULL").Count(&n).Error
	return n > 0, err
}
