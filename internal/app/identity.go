package app

import (
	"fmt"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
)

// NewIdentity builds the identity service with the configured access-token
// keys and the standing assignment rules; the CLI uses it without the rest
// of the application.
func NewIdentity(db *store.DB, cfg config.Config) (*identity.Service, error) {
	jwtKeys, err := loadKeySet(cfg.JWTKeyFile, cfg.JWTVerifyKeys)
	if err != nil {
		return nil, fmt.Errorf("access-token keys: %w", err)
	}
	ids := identity.New(db, identity.Options{
		Tokens:        &identity.TokenIssuer{Keys: jwtKeys, Issuer: cfg.BaseURL, Audience: identity.Audience, TTL: cfg.AccessTokenTTL},
		RefreshTTL:    cfg.RefreshTokenTTL,
		RefreshMaxAge: cfg.RefreshMaxAge,
	})
	// Standing assignment rules follow people into a department in the
	// transaction that creates, imports or moves them: through the API and
	// the command line alike.
	ids.OnMembership = assignments.New(db, assignments.Options{}).ApplyRules
	return ids, nil
}
