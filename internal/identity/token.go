package identity

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/upskill/upskill/internal/keys"
)

// DefaultAccessTTL is how long an access token lives when TokenIssuer.TTL
// is zero: short, because a refresh token renews it and revocation only
// takes effect when it runs out.
const DefaultAccessTTL = 15 * time.Minute

// accessTokenType is the JWS "typ" of access tokens (RFC 9068). Completion
// records are signed with the same keys as "JWT"; insisting on this type
// means a record can never be presented as an access token.
const accessTokenType = "at+jwt"

// clockSkew is the leeway allowed on exp, nbf and iat between replicas.
const clockSkew = 30 * time.Second

// ErrInvalidToken is wrapped by every reason Parse refuses a token; the
// HTTP layer maps it to 401 without telling the caller which check failed.
var ErrInvalidToken = errors.New("invalid access token")

// AccessClaims are the claims of an access token.
type AccessClaims struct {
	Roles []string `json:"roles"`
	// SessionID names the login (refresh-token family) the token came from,
	// so a password change can keep the caller's own session.
	SessionID string `json:"sid,omitempty"`
	jwt.RegisteredClaims
}

// TokenIssuer issues and checks access tokens. Issuer is the service's
// base URL and Audience the API's name ("upskill-api"). Now is the clock;
// nil means time.Now.
type TokenIssuer struct {
	Keys     *keys.Set
	Issuer   string
	Audience string
	TTL      time.Duration
	Now      func() time.Time
}

// Issue signs an access token for userID holding roles, with the Set's
// active key, and returns it with its expiry.
func (ti *TokenIssuer) Issue(userID string, roles []string) (token string, expiresAt time.Time, err error) {
	return ti.IssueForSession(userID, roles, "")
}

// IssueForSession is Issue for a token that belongs to a login session.
func (ti *TokenIssuer) IssueForSession(userID string, roles []string, sessionID string) (token string, expiresAt time.Time, err error) {
	if err := ti.check(); err != nil {
		return "", time.Time{}, err
	}
	if userID == "" {
		return "", time.Time{}, errors.New("identity: access token needs a user id")
	}
	ttl := ti.TTL
	if ttl == 0 {
		ttl = DefaultAccessTTL
	}
	now := ti.now()
	exp := jwt.NewNumericDate(now.Add(ttl))
	claims := AccessClaims{
		// Never null in the token: verifiers can rely on an array.
		Roles:     append([]string{}, roles...),
		SessionID: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    ti.Issuer,
			Subject:   userID,
			Audience:  jwt.ClaimStrings{ti.Audience},
			ExpiresAt: exp,
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        uuid.NewString(),
		},
	}
	kid, key := ti.Keys.Active()
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = kid
	t.Header["typ"] = accessTokenType
	signed, err := t.SignedString(key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("identity: sign access token: %w", err)
	}
	return signed, exp.Time, nil
}

// Parse verifies an access token and returns its claims. It pins EdDSA,
// looks the header's kid up in the key Set, and requires exp, iss, aud and
// sub, allowing 30 seconds of clock skew. Every failure wraps
// ErrInvalidToken.
func (ti *TokenIssuer) Parse(token string) (*AccessClaims, error) {
	if err := ti.check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(ti.Issuer),
		jwt.WithAudience(ti.Audience),
		jwt.WithLeeway(clockSkew),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(ti.now),
		jwt.WithStrictDecoding(),
	)
	var claims AccessClaims
	if _, err := p.ParseWithClaims(token, &claims, ti.keyFor); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Subject == "" {
		return nil, fmt.Errorf("%w: no subject", ErrInvalidToken)
	}
	return &claims, nil
}

// keyFor picks the verification key named by the token's kid. Only keys in
// our own Set are candidates: a token cannot bring its own key (jwk, jku,
// x5u headers are never consulted).
func (ti *TokenIssuer) keyFor(t *jwt.Token) (any, error) {
	if typ, _ := t.Header["typ"].(string); typ != accessTokenType {
		return nil, fmt.Errorf("token type %q is not %q", typ, accessTokenType)
	}
	return ti.Keys.KeyFor(t.Header)
}

// check refuses a misconfigured issuer: with an empty Issuer or Audience
// the parser would accept tokens whose claim is empty too.
func (ti *TokenIssuer) check() error {
	switch {
	case ti.Keys == nil:
		return errors.New("identity: token issuer has no keys")
	case ti.Issuer == "" || ti.Audience == "":
		return errors.New("identity: token issuer needs an issuer and an audience")
	}
	return nil
}

func (ti *TokenIssuer) now() time.Time {
	if ti.Now != nil {
		return ti.Now()
	}
	return time.Now()
}
