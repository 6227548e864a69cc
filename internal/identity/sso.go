package identity

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// Audit actions of single sign-on.
const (
	ActionSSOLogin   = "auth.sso_login"
	ActionSSORefused = "auth.sso_refused"
	ActionSSOLinked  = "auth.sso_linked"
)

// PasswordPolicy says who may sign in with a password. The zero value
// lets everyone; with Off, only BreakGlass (an admin's email) may, and
// invitations and password resets are refused to everyone else.
type PasswordPolicy struct {
	Off        bool
	BreakGlass string // normalised email
}

// mayTry reports whether a password sign-in for email is worth checking.
func (p PasswordPolicy) mayTry(email string) bool {
	return !p.Off || (p.BreakGlass != "" && NormaliseEmail(email) == p.BreakGlass)
}

// Allows reports whether u may hold and use a password.
func (p PasswordPolicy) Allows(u User) bool {
	return !p.Off || (p.BreakGlass != "" && u.Email == p.BreakGlass && u.Roles.Has(RoleAdmin))
}

var (
	errPasswordsOff = fault.Typed(fault.Forbidden, "password-login-off",
		"password sign-in is turned off: sign in with single sign-on")
	errPasswordsOffInvite = fault.Typed(fault.Conflict, "password-login-off",
		"password sign-in is turned off, so there is no password to invite this person to choose: they sign in with single sign-on")
)

// oidcLink remembers who a provider's (issuer, sub) pair is.
type oidcLink struct {
	Issuer    string
	Subject   string
	UserID    string
	CreatedAt time.Time
}

func (oidcLink) TableName() string { return "oidc_links" }

// ExternalIdentity is what a checked ID token says about the person.
// EmailVerified already takes the provider's trust setting into account.
type ExternalIdentity struct {
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	Name            string
	Department      string // from the configured claim; "" when absent
}

// SSOOptions are the linking rules of single sign-on.
type SSOOptions struct {
	// EmailDomains are the domains whose existing accounts a first
	// sign-in may link to by verified email (never an admin's).
	EmailDomains []string
}

// SignInExternal signs in the person an identity provider vouches for:
// the account linked to (issuer, sub); else, on a first sign-in, the
// account with the same verified email when its domain is listed and it
// is not an admin's; else a new learner. Department comes from the claim
// only for a new person, and never while SCIM provisions people. Every
// outcome is audited with the provider's subject.
func (s *Service) SignInExternal(ctx context.Context, id ExternalIdentity, opt SSOOptions) (Session, error) {
	var sess Session
	var refusal error
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		u, how, err := s.externalAccount(ctx, tx, id, opt)
		if err != nil && fault.CodeOf(err) != fault.Internal {
			refusal = err
			return nil
		}
		if err != nil {
			return err
		}
		sess, err = s.openSession(tx, u, uuid.NewString(), nil)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, u.ID, ActionSSOLogin, u.ID,
			map[string]any{"issuer": id.Issuer, "subject": id.Subject, "how": how})
	})
	if err != nil {
		return Session{}, fault.Ensure(err, "could not sign in")
	}
	if refusal != nil {
		if err := s.db.Tx(ctx, func(tx *gorm.DB) error {
			return audit.Record(ctx, tx, "", ActionSSORefused, id.Subject, map[string]any{"issuer": id.Issuer,
				"subject": id.Subject, "email": NormaliseEmail(id.Email), "reason": fault.As(refusal).Message})
		}); err != nil {
			return Session{}, fault.Wrap(err, "could not record the refused sign-in")
		}
		return Session{}, refusal
	}
	return sess, nil
}

// externalAccount finds or makes the account of id inside tx and says how:
// "linked" (known pair), "email" (first sign-in linked by email) or
// "created". A refusal is a fault other than Internal.
func (s *Service) externalAccount(ctx context.Context, tx *gorm.DB, id ExternalIdentity, opt SSOOptions) (User, string, error) {
	if id.Issuer == "" || id.Subject == "" {
		return User{}, "", fault.New(fault.Unauthorized, "the ID token names no issuer or subject")
	}
	var link oidcLink
	err := tx.Take(&link, "issuer = ? AND subject = ?", id.Issuer, id.Subject).Error
	switch {
	case err == nil:
		var u User
		if err := tx.Take(&u, "id = ?", link.UserID).Error; err != nil {
			return User{}, "", err
		}
		if u.Disabled {
			return User{}, "", errAccountDisabled
		}
		return u, "linked", nil
	case !store.IsNotFound(err):
		return User{}, "", err
	}
	email := NormaliseEmail(id.Email)
	if email == "" {
		return User{}, "", fault.New(fault.Unauthorized, "the identity provider sent no email address for this first sign-in")
	}
	if !id.EmailVerified {
		return User{}, "", fault.New(fault.Unauthorized, "the identity provider has not verified the email %s", email)
	}
	var u User
	err = tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&u, "email = ?", email).Error
	switch {
	case err == nil:
		if err := mayLinkByEmail(u, email, opt); err != nil {
			return User{}, "", err
		}
		if err := s.linkExternal(ctx, tx, id, u.ID); err != nil {
			return User{}, "", err
		}
		return u, "email", nil
	case !store.IsNotFound(err):
		return User{}, "", err
	}
	u, err = s.createExternal(ctx, tx, id, email)
	if err != nil {
		return User{}, "", err
	}
	return u, "created", s.linkExternal(ctx, tx, id, u.ID)
}

var errAccountDisabled = fault.New(fault.Forbidden, "this account is disabled")

// mayLinkByEmail refuses to link a first sign-in to an existing account
// outside the listed domains, to an admin, or to a disabled account.
func mayLinkByEmail(u User, email string, opt SSOOptions) error {
	domain := email[strings.LastIndexByte(email, '@')+1:]
	switch {
	case !slices.Contains(opt.EmailDomains, domain):
		return fault.New(fault.Forbidden, "an account with the email %s exists, and first sign-ins are not linked by email for %s (UPSKILL_OIDC_EMAIL_DOMAINS)", email, domain)
	case u.Roles.Has(RoleAdmin):
		return fault.New(fault.Forbidden, "an admin account is never linked by email: an admin must sign in with the password")
	case u.Disabled:
		return errAccountDisabled
	}
	return nil
}

func (s *Service) linkExternal(ctx context.Context, tx *gorm.DB, id ExternalIdentity, userID string) error {
	if err := tx.Create(&oidcLink{Issuer: id.Issuer, Subject: id.Subject, UserID: userID, CreatedAt: s.now()}).Error; err != nil {
		return err
	}
	return audit.Record(ctx, tx, userID, ActionSSOLinked, userID, map[string]any{"issuer": id.Issuer, "subject": id.Subject})
}

// createExternal makes a learner for a first sign-in. The department
// claim applies only when SCIM does not provision people.
func (s *Service) createExternal(ctx context.Context, tx *gorm.DB, id ExternalIdentity, email string) (User, error) {
	name := strings.TrimSpace(id.Name)
	if name == "" {
		name = email[:strings.IndexByte(email, '@')]
	}
	dept := strings.TrimSpace(id.Department)
	provisioned, err := s.ScimActive(tx)
	if err != nil {
		return User{}, err
	}
	if provisioned {
		dept = ""
	}
	now := s.now()
	u := User{ID: uuid.NewString(), Email: email, Name: name, Department: dept, Roles: Roles{RoleLearner},
		CreatedAt: now, UpdatedAt: now}
	if err := validateProfile(u.Email, u.Name, u.Department, ""); err != nil {
		return User{}, fault.New(fault.Unauthorized, "the identity provider's claims do not make a valid profile: %s", fault.As(err).Message)
	}
	if u.Department, err = canonicalDepartment(tx, now, u.Department); err != nil {
		return User{}, err
	}
	if err := s.insertUser(tx, &u); err != nil {
		return User{}, err
	}
	if err := s.membershipChanged(ctx, tx, []string{u.ID}); err != nil {
		return User{}, err
	}
	return u, audit.Record(ctx, tx, "", audit.UserCreated, u.ID,
		map[string]any{"email": u.Email, "roles": []string(u.Roles), "department": u.Department, "via": "oidc", "subject": id.Subject})
}
