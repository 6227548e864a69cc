// Package records owns completion records as credentials a third party can
// check: it signs a record's claims as a compact JWS with the service's
// Ed25519 key, verifies such credentials against the published keys, and
// renders the printable certificate. Deciding when a record is issued,
// revoked or expired belongs to the caller.
package records

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/upskill/upskill/internal/keys"
)

// credentialType is the JWS "typ" of a record. Access tokens are signed
// with the same keys under another type, so neither can pass for the other.
const credentialType = "JWT"

// Record kinds: a module record (the default, and what a credential
// without "kind" is) or a path record.
const (
	KindModule = "module"
	KindPath   = "path"
)

// clockSkew is the leeway on nbf between the replica that signed a record
// and the one verifying it.
const clockSkew = 30 * time.Second

// ErrInvalidCredential is wrapped by every reason Verify refuses a
// credential: bad format, bad signature, unknown key, wrong issuer or
// missing record claims. The verify endpoint answers valid:false for it.
var ErrInvalidCredential = errors.New("invalid credential")

// Claims are a completion record as JWT claims. Subject is the holder's
// user id, ID the record id, Issuer the service's base URL; ExpiresAt is
// set only when the module's valid_for makes the record expire.
//
// A path record (Kind "path") names the path in Path and its title in
// ModuleTitle, and has no module, revision, content hash or score. A
// credential without kind is a module record.
type Claims struct {
	Kind        string `json:"kind,omitempty"`
	Path        string `json:"path,omitempty"`
	Module      string `json:"module,omitempty"`
	ModuleTitle string `json:"module_title"`
	Revision    int    `json:"revision,omitempty"`
	ContentHash string `json:"content_hash,omitempty"`
	// Score is the whole-percent quiz score; nil (and absent from the
	// credential) when the module has no quiz.
	Score      *int   `json:"score,omitempty"`
	HolderName string `json:"holder_name"`
	jwt.RegisteredClaims
}

// Expired reports whether the record has passed its expiry at now. A
// record without exp never expires.
func (c *Claims) Expired(now time.Time) bool {
	return c.ExpiresAt != nil && !now.Before(c.ExpiresAt.Time)
}

// Signer signs records with the active key of Keys. Issuer is the
// service's base URL and is written into every record.
type Signer struct {
	Keys   *keys.Set
	Issuer string
}

// Sign returns c as a compact JWS (EdDSA, typ JWT, kid = the RFC 7638
// thumbprint of the signing key). It sets iss to s.Issuer and nbf to iat
// when unset, and refuses a record missing what makes it verifiable:
// issuer, id, subject, module, revision, content hash and issue time.
func (s *Signer) Sign(c Claims) (string, error) {
	c.Issuer = s.Issuer
	if c.NotBefore == nil {
		c.NotBefore = c.IssuedAt
	}
	if err := checkRecord(&c); err != nil {
		return "", fmt.Errorf("records: sign: %w", err)
	}
	kid, key := s.Keys.Active()
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = kid
	t.Header["typ"] = credentialType
	signed, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("records: sign: %w", err)
	}
	return signed, nil
}

// Verify checks credential against set and issuer at the current time; see
// VerifyAt.
func Verify(credential string, set *keys.Set, issuer string) (*Claims, error) {
	return VerifyAt(credential, set, issuer, time.Now())
}

// VerifyAt checks a credential's signature with the key its kid names in
// set (EdDSA only), its issuer, its record claims, and that it is not
// dated after now (30 s leeway). It does not reject an expired record:
// expiry is a status the caller reports, not a forgery. Every failure
// wraps ErrInvalidCredential.
func VerifyAt(credential string, set *keys.Set, issuer string, now time.Time) (*Claims, error) {
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithoutClaimsValidation(),
		jwt.WithStrictDecoding(),
	)
	var c Claims
	keyFunc := func(t *jwt.Token) (any, error) { return lookupKey(set, t) }
	if _, err := p.ParseWithClaims(credential, &c, keyFunc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCredential, err)
	}
	if c.Issuer != issuer {
		return nil, fmt.Errorf("%w: issuer %q is not %q", ErrInvalidCredential, c.Issuer, issuer)
	}
	if err := checkRecord(&c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCredential, err)
	}
	if c.NotBefore != nil && now.Add(clockSkew).Before(c.NotBefore.Time) {
		return nil, fmt.Errorf("%w: not valid before %s", ErrInvalidCredential, c.NotBefore.UTC().Format(time.RFC3339))
	}
	return &c, nil
}

func lookupKey(set *keys.Set, t *jwt.Token) (ed25519.PublicKey, error) {
	if typ, _ := t.Header["typ"].(string); typ != credentialType {
		return nil, fmt.Errorf("type %q is not a record credential", typ)
	}
	return set.KeyFor(t.Header)
}

// checkRecord requires the claims without which a record proves nothing.
func checkRecord(c *Claims) error {
	switch {
	case c.Issuer == "":
		return errors.New("no issuer")
	case c.ID == "":
		return errors.New("no record id (jti)")
	case c.Subject == "":
		return errors.New("no holder (sub)")
	case c.Kind == KindPath && (c.Path == "" || c.Module != "" || c.Revision != 0 || c.ContentHash != "" || c.Score != nil):
		return errors.New("a path record names its path and no module")
	case c.Kind != KindPath && c.Kind != "" && c.Kind != KindModule:
		return fmt.Errorf("unknown record kind %q", c.Kind)
	case c.Kind != KindPath && c.Module == "":
		return errors.New("no module")
	case c.Kind != KindPath && c.Revision < 1:
		return errors.New("no module revision")
	case c.Kind != KindPath && c.ContentHash == "":
		return errors.New("no content hash")
	case c.IssuedAt == nil:
		return errors.New("no issue time (iat)")
	}
	return nil
}
