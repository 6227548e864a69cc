package evidence

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/store"
)

// The @context of every credential, in the order Open Badges 3.0 requires:
// Verifiable Credentials Data Model 2.0 first, then Open Badges 3.0, then
// the Open Badges extensions context that defines the
// 1EdTechRevocationList status type.
var Contexts = []string{
	"https://www.w3.org/ns/credentials/v2",
	"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
	"https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
}

// MediaTypeVCJWT is the media type of a signed credential.
const MediaTypeVCJWT = "application/vc+jwt"

// RevocationListType is the credentialStatus type Open Badges 3.0 names:
// the 1EdTech Revocation List Status Method.
const RevocationListType = "1EdTechRevocationList"

// Profile is an Open Badges 3.0 Profile: the issuer.
type Profile struct {
	Context            []string             `json:"@context,omitempty"`
	ID                 string               `json:"id"`
	Type               []string             `json:"type"`
	Name               string               `json:"name"`
	URL                string               `json:"url"`
	VerificationMethod []VerificationMethod `json:"verificationMethod,omitempty"`
}

// VerificationMethod publishes a public key on the issuer Profile.
type VerificationMethod struct {
	ID           string      `json:"id"`
	Type         string      `json:"type"`
	Controller   string      `json:"controller"`
	PublicKeyJwk keys.RSAJWK `json:"publicKeyJwk"`
}

// Criteria says how the achievement is earned.
type Criteria struct {
	ID        string `json:"id,omitempty"`
	Narrative string `json:"narrative"`
}

// IdentifierEntry is another identifier of an achievement.
type IdentifierEntry struct {
	Type           string `json:"type"`
	Identifier     string `json:"identifier"`
	IdentifierType string `json:"identifierType"`
}

// Achievement is what a record proves: a module.
type Achievement struct {
	Context         []string          `json:"@context,omitempty"`
	ID              string            `json:"id"`
	Type            []string          `json:"type"`
	AchievementType string            `json:"achievementType"`
	Name            string            `json:"name"`
	Description     string            `json:"description"`
	Criteria        Criteria          `json:"criteria"`
	Creator         *Profile          `json:"creator,omitempty"`
	Version         string            `json:"version,omitempty"`
	OtherIdentifier []IdentifierEntry `json:"otherIdentifier,omitempty"`
}

// IdentityObject is the salted hash of the holder's email.
type IdentityObject struct {
	Type         string `json:"type"`
	IdentityHash string `json:"identityHash"`
	IdentityType string `json:"identityType"`
	Hashed       bool   `json:"hashed"`
	Salt         string `json:"salt"`
}

// AchievementSubject is the holder, pseudonymously.
type AchievementSubject struct {
	ID          string           `json:"id"`
	Type        []string         `json:"type"`
	Identifier  []IdentityObject `json:"identifier"`
	Achievement Achievement      `json:"achievement"`
}

// CredentialStatus points at where revocation shows.
type CredentialStatus struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Credential is an OpenBadgeCredential.
type Credential struct {
	Context           []string           `json:"@context"`
	ID                string             `json:"id"`
	Type              []string           `json:"type"`
	Name              string             `json:"name"`
	Issuer            Profile            `json:"issuer"`
	ValidFrom         string             `json:"validFrom"`
	ValidUntil        string             `json:"validUntil,omitempty"`
	CredentialSubject AchievementSubject `json:"credentialSubject"`
	CredentialStatus  CredentialStatus   `json:"credentialStatus"`
}

// RevocationList is what credentialStatus.id answers: the 1EdTech
// Revocation List of one credential, plus its status (valid, expired or
// revoked) so expiry shows there too.
type RevocationList struct {
	ID                 string              `json:"id"`
	Issuer             string              `json:"issuer"`
	RevokedCredentials []RevokedCredential `json:"revokedCredentials"`
	Status             string              `json:"status"`
	ValidUntil         *time.Time          `json:"validUntil"`
}

// RevokedCredential is one entry of a revocation list.
type RevokedCredential struct {
	ID      string `json:"id"`
	Revoked bool   `json:"revoked"`
}

func (s *Service) base() string { return strings.TrimRight(s.opt.BaseURL, "/") }

// IssuerID is the issuer Profile's id: the URL that serves it.
func (s *Service) IssuerID() string { return s.base() + "/api/v1/issuer" }

// AchievementID is the achievement's id: the URL that serves it.
func (s *Service) AchievementID(slug string) string {
	return s.base() + "/api/v1/achievements/" + url.PathEscape(slug)
}

// StatusURL is where a record's revocation list is served.
func (s *Service) StatusURL(recordID string) string {
	return s.base() + "/api/v1/records/" + url.PathEscape(recordID) + "/status"
}

// JWKSURL is where the keys are published.
func (s *Service) JWKSURL() string { return s.base() + "/.well-known/jwks.json" }

func (s *Service) signingKey() (*rsa.PrivateKey, error) {
	s.badgeOnce.Do(func() {
		if s.badgeKey == nil {
			s.badgeKey, s.badgeErr = rsa.GenerateKey(rand.Reader, 2048)
		}
	})
	return s.badgeKey, s.badgeErr
}

// BadgeKid is the kid of the badge key: a URL that dereferences to its
// JWK (the JWK Set, whose entry carries this kid).
func (s *Service) BadgeKid() (string, error) {
	k, err := s.signingKey()
	if err != nil {
		return "", err
	}
	return s.JWKSURL() + "#" + keys.RSAThumbprint(&k.PublicKey), nil
}

// BadgeJWK is the public badge key as published.
func (s *Service) BadgeJWK() (keys.RSAJWK, error) {
	k, err := s.signingKey()
	if err != nil {
		return keys.RSAJWK{}, err
	}
	kid, _ := s.BadgeKid()
	return keys.PublicRSAJWK(&k.PublicKey, kid), nil
}

// Issuer is the issuer Profile with its public key.
func (s *Service) Issuer() (Profile, error) {
	jwk, err := s.BadgeJWK()
	if err != nil {
		return Profile{}, fault.Wrap(err, "could not read the badge key")
	}
	p := s.issuerRef()
	p.Context = Contexts
	p.VerificationMethod = []VerificationMethod{{ID: jwk.Kid, Type: "JsonWebKey", Controller: p.ID, PublicKeyJwk: jwk}}
	return p, nil
}

func (s *Service) issuerRef() Profile {
	return Profile{ID: s.IssuerID(), Type: []string{"Profile"}, Name: s.opt.OrgName, URL: s.base() + "/"}
}

func criteria(m *content.Module) string {
	if m.Quiz != nil {
		return fmt.Sprintf("Complete every lesson of %q and pass its quiz with at least %d%%.", m.Title, m.PassMark)
	}
	return fmt.Sprintf("Complete every lesson of %q.", m.Title)
}

// AchievementOf is the current revision of a module as an Achievement.
func (s *Service) AchievementOf(slug string) (Achievement, error) {
	m, rev, ok := s.opt.Module(slug)
	if !ok {
		return Achievement{}, fault.New(fault.NotFound, "no module %q", slug)
	}
	a := s.achievement(m.Slug, m.Title, m, rev, m.Hash)
	a.Context = Contexts
	return a, nil
}

func (s *Service) achievement(slug, title string, m *content.Module, rev int, hash string) Achievement {
	a := Achievement{ID: s.AchievementID(slug), Type: []string{"Achievement"}, AchievementType: "Course",
		Name: title, Description: title, Criteria: Criteria{Narrative: fmt.Sprintf("Complete every lesson of %q.", title)},
		Version: strconv.Itoa(rev),
		OtherIdentifier: []IdentifierEntry{{Type: "IdentifierEntry", Identifier: "sha256:" + hash,
			IdentifierType: "identifier"}}}
	if m != nil {
		if m.Summary != "" {
			a.Description = m.Summary
		}
		a.Criteria.Narrative = criteria(m)
	}
	creator := s.issuerRef()
	a.Creator = &creator
	return a
}

// CredentialOf builds r's OpenBadgeCredential. email is the holder's, only
// ever hashed with a salt.
func (s *Service) CredentialOf(r learning.Record, email string) (Credential, error) {
	subj, err := s.pseudonym("badge subject", r.UserID)
	if err != nil {
		return Credential{}, err
	}
	saltBytes, err := s.pseudonym("badge salt", r.ID)
	if err != nil {
		return Credential{}, err
	}
	salt := hex.EncodeToString(saltBytes[:16])
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email)) + salt))
	var m *content.Module
	if cur, rev, ok := s.opt.Module(r.Module); ok && rev == r.Revision {
		m = cur
	}
	c := Credential{
		Context:   Contexts,
		ID:        "urn:uuid:" + r.ID,
		Type:      []string{"VerifiableCredential", "OpenBadgeCredential"},
		Name:      r.ModuleTitle,
		Issuer:    s.issuerRef(),
		ValidFrom: r.IssuedAt.UTC().Format(time.RFC3339),
		CredentialSubject: AchievementSubject{
			ID:   "urn:uuid:" + uuid.NewSHA1(registrationSpace, subj).String(),
			Type: []string{"AchievementSubject"},
			Identifier: []IdentityObject{{Type: "IdentityObject", IdentityHash: "sha256$" + hex.EncodeToString(sum[:]),
				IdentityType: "emailAddress", Hashed: true, Salt: salt}},
			Achievement: s.achievement(r.Module, r.ModuleTitle, m, r.Revision, r.ContentHash),
		},
		CredentialStatus: CredentialStatus{ID: s.StatusURL(r.ID), Type: RevocationListType},
	}
	if r.ExpiresAt != nil {
		c.ValidUntil = r.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return c, nil
}

// badgeClaims is the JWT Payload: the credential's own members plus the
// registered claims the Open Badges 3.0 JWT proof requires.
type badgeClaims struct {
	Credential
	Exp int64  `json:"exp,omitempty"`
	Iss string `json:"iss"`
	Jti string `json:"jti"`
	Nbf int64  `json:"nbf"`
	Sub string `json:"sub"`
}

// GetExpirationTime and the rest satisfy jwt.Claims.
func (b badgeClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	if b.Exp == 0 {
		return nil, nil
	}
	return jwt.NewNumericDate(time.Unix(b.Exp, 0)), nil
}
func (b badgeClaims) GetIssuedAt() (*jwt.NumericDate, error) { return nil, nil }
func (b badgeClaims) GetNotBefore() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(b.Nbf, 0)), nil
}
func (b badgeClaims) GetIssuer() (string, error)             { return b.Iss, nil }
func (b badgeClaims) GetSubject() (string, error)            { return b.Sub, nil }
func (b badgeClaims) GetAudience() (jwt.ClaimStrings, error) { return nil, nil }

// SignCredential is c as a Compact JWS in the Open Badges 3.0 JSON Web
// Token Proof Format: JOSE header {alg RS256, kid, typ JWT} and nothing
// else; the payload is the credential with exp (validUntil), iss
// (issuer.id), jti (id), nbf (validFrom) and sub (credentialSubject.id).
func (s *Service) SignCredential(c Credential) (string, error) {
	key, err := s.signingKey()
	if err != nil {
		return "", err
	}
	kid, _ := s.BadgeKid()
	from, err := time.Parse(time.RFC3339, c.ValidFrom)
	if err != nil {
		return "", err
	}
	claims := badgeClaims{Credential: c, Iss: c.Issuer.ID, Jti: c.ID, Nbf: from.Unix(), Sub: c.CredentialSubject.ID}
	if c.ValidUntil != "" {
		until, err := time.Parse(time.RFC3339, c.ValidUntil)
		if err != nil {
			return "", err
		}
		claims.Exp = until.Unix()
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header = map[string]any{"alg": "RS256", "kid": kid, "typ": "JWT"}
	return t.SignedString(key)
}

// Badge returns the record's credential and its signed form. The caller
// decides who may see the record.
func (s *Service) Badge(ctx context.Context, r learning.Record) (Credential, string, error) {
	var email string
	if err := s.db.R.WithContext(ctx).Table("users").Select("email").Where("id = ?", r.UserID).
		Scan(&email).Error; err != nil {
		return Credential{}, "", fault.Wrap(err, "could not read the holder")
	}
	c, err := s.CredentialOf(r, email)
	if err != nil {
		return Credential{}, "", fault.Wrap(err, "could not build the credential")
	}
	signed, err := s.SignCredential(c)
	if err != nil {
		return Credential{}, "", fault.Wrap(err, "could not sign the credential")
	}
	return c, signed, nil
}

// Status is a record's revocation list.
func (s *Service) Status(ctx context.Context, recordID string) (RevocationList, error) {
	if uuid.Validate(recordID) != nil {
		return RevocationList{}, fault.New(fault.NotFound, "no record %q", recordID)
	}
	var r learning.Record
	err := s.db.R.WithContext(ctx).Where("id = ?", recordID).Take(&r).Error
	if store.IsNotFound(err) || (err == nil && r.ID == "") {
		return RevocationList{}, fault.New(fault.NotFound, "no record %q", recordID)
	}
	if err != nil {
		return RevocationList{}, fault.Wrap(err, "could not read record %q", recordID)
	}
	out := RevocationList{ID: s.StatusURL(r.ID), Issuer: s.IssuerID(), RevokedCredentials: []RevokedCredential{},
		Status: learning.RecordValid, ValidUntil: utcPtr(r.ExpiresAt)}
	now := s.opt.Now()
	switch {
	case r.RevokedAt != nil:
		out.Status = learning.RecordRevoked
		out.RevokedCredentials = append(out.RevokedCredentials, RevokedCredential{ID: "urn:uuid:" + r.ID, Revoked: true})
	case r.ExpiresAt != nil && !now.Before(*r.ExpiresAt):
		out.Status = learning.RecordExpired
	}
	return out, nil
}
