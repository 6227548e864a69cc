package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/store"
)

// Purposes of one-time tokens sent by mail.
const (
	PurposeInvitation = "invitation"
	PurposeReset      = "password_reset"
)

// Lifetimes of one-time tokens.
const (
	InvitationTTL = 7 * 24 * time.Hour
	ResetTTL      = time.Hour
)

// userToken is a one-time token: an invitation or a password reset. Only
// its hash is stored; a newer token of the same purpose voids the older.
type userToken struct {
	TokenHash string `gorm:"primaryKey"`
	UserID    string
	Purpose   string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func (userToken) TableName() string { return "user_tokens" }

// MailHooks connect identity to outbound mail. With Enabled false there is
// no mail server: invitations hand the link to HR and resets are not sent.
type MailHooks struct {
	Enabled bool
	// BaseURL is the web app's address the links point at.
	BaseURL string
	// GiveUp is how long the outbox retries a message.
	GiveUp time.Duration
	// Wake tells the outbox a message waits to go out at once.
	Wake func()
}

// OutboxTarget is the outbox target of mail.
const OutboxTarget = "mail"

// Link is the web app address that redeems a token of purpose.
func (m MailHooks) Link(purpose, plain string) string {
	path := "/reset-password"
	if purpose == PurposeInvitation {
		path = "/accept-invite"
	}
	return m.BaseURL + path + "#token=" + plain
}

// link is the web app address for a token, on the configured base URL
// (the tokens' issuer when the mail hooks name none).
func (s *Service) link(purpose, plain string) string {
	m := s.Mail
	if m.BaseURL == "" && s.tokens != nil {
		m.BaseURL = s.tokens.Issuer
	}
	return m.Link(purpose, plain)
}

func (s *Service) wake() {
	if s.Mail.Wake != nil {
		s.Mail.Wake()
	}
}

// Minted is a fresh one-time token and the person it is for.
type Minted struct {
	Token     string
	ExpiresAt time.Time
	User      User
}

// MintToken makes a new token of purpose for userID and voids any unused
// older one. The mail deliverer calls it when it sends, so the token exists
// only in the message, and a retried message carries a new token.
func (s *Service) MintToken(ctx context.Context, userID, purpose string) (Minted, error) {
	var m Minted
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		m, err = s.mint(tx, userID, purpose)
		return err
	})
	return m, err
}

func (s *Service) mint(tx *gorm.DB, userID, purpose string) (Minted, error) {
	var u User
	if err := tx.Take(&u, "id = ?", userID).Error; err != nil {
		if store.IsNotFound(err) {
			return Minted{}, outbox.Permanent(fault.New(fault.NotFound, "no user %s", userID))
		}
		return Minted{}, err
	}
	if u.Disabled {
		return Minted{}, outbox.Permanent(fault.New(fault.Conflict, "%s is disabled", describe(u)))
	}
	ttl := ResetTTL
	if purpose == PurposeInvitation {
		ttl = InvitationTTL
	}
	now := s.now()
	if err := tx.Where("user_id = ? AND purpose = ? AND used_at IS NULL", userID, purpose).
		Delete(&userToken{}).Error; err != nil {
		return Minted{}, err
	}
	plain, hash := NewRefreshToken()
	t := userToken{TokenHash: hash, UserID: userID, Purpose: purpose, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := tx.Create(&t).Error; err != nil {
		return Minted{}, err
	}
	return Minted{Token: plain, ExpiresAt: t.ExpiresAt, User: u}, nil
}

// Invitation is the answer to an invitation: by email, or, without a mail
// server, the link itself for HR to pass on.
type Invitation struct {
	ExpiresAt time.Time
	Delivery  string // "email" or "link"
	Link      string
}

// mayInvite: HR invites learners; admins invite anyone; nobody invites a
// disabled account.
func mayInvite(actor Principal, u User) error {
	switch {
	case u.Disabled:
		return fault.New(fault.Conflict, "%s is disabled; enable the account before inviting", describe(u))
	case u.ErasedAt != nil:
		return fault.New(fault.Conflict, "%s was erased; an erased person cannot be invited", describe(u))
	case actor.IsAdmin():
		return nil
	case !u.Roles.OnlyLearner():
		return fault.New(fault.Forbidden, "HR may invite learners only")
	}
	return nil
}

// Invite sends userID an invitation to choose a password, replacing any
// earlier one. With a mail server it is queued in the outbox in this
// transaction and the token is minted when the message goes; without one
// the token is minted now and the link returned.
func (s *Service) Invite(ctx context.Context, actor Principal, userID string) (Invitation, error) {
	var inv Invitation
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.Take(&u, "id = ?", userID).Error; err != nil {
			if store.IsNotFound(err) {
				return fault.New(fault.NotFound, "no user %s", userID)
			}
			return err
		}
		if err := mayInvite(actor, u); err != nil {
			return err
		}
		if !s.Passwords.Allows(u) {
			return errPasswordsOffInvite
		}
		if s.Mail.Enabled {
			inv = Invitation{ExpiresAt: s.now().Add(InvitationTTL), Delivery: "email"}
			if _, err := s.enqueueMail(tx, PurposeInvitation, u.ID); err != nil {
				return err
			}
		} else {
			m, err := s.mint(tx, u.ID, PurposeInvitation)
			if err != nil {
				return err
			}
			inv = Invitation{ExpiresAt: m.ExpiresAt, Delivery: "link", Link: s.link(PurposeInvitation, m.Token)}
		}
		return audit.Record(ctx, tx, actor.UserID, audit.UserInvited, u.ID, map[string]any{"delivery": inv.Delivery})
	})
	if err != nil {
		return Invitation{}, fault.Ensure(err, "could not invite the user")
	}
	s.wake()
	return inv, nil
}

func (s *Service) enqueueMail(tx *gorm.DB, kind, userID string) (bool, error) {
	giveUp := s.Mail.GiveUp
	if giveUp <= 0 {
		giveUp = 48 * time.Hour
	}
	return outbox.Enqueue(tx, s.now(), giveUp, outbox.Message{Target: OutboxTarget, Kind: kind, Key: userID,
		Payload: map[string]string{"user_id": userID}})
}

// InviteFilter picks whom a bulk invitation reaches: people in any of
// Departments or with one of UserIDs, optionally only those who have no
// password yet.
type InviteFilter struct {
	Departments         []string
	UserIDs             []string
	OnlyWithoutPassword bool
}

// maxBulkInvite bounds one request's list of ids or departments.
const maxBulkInvite = 10000

// InviteMany queues invitations for everyone the filter picks whom actor
// may invite (HR: learners), skipping disabled accounts. It needs a mail
// server: there is no list of links to hand out.
func (s *Service) InviteMany(ctx context.Context, actor Principal, f InviteFilter) (int, error) {
	if !s.Mail.Enabled {
		return 0, fault.Typed(fault.Conflict, "mail-not-configured",
			"bulk invitations need a mail server (UPSKILL_SMTP_URL); invite people one by one to get their links")
	}
	if len(f.Departments) == 0 && len(f.UserIDs) == 0 {
		return 0, fault.InvalidFields("say whom to invite", fault.FieldError{Field: "departments", Message: "give departments or user_ids"})
	}
	if len(f.Departments)+len(f.UserIDs) > maxBulkInvite {
		return 0, fault.InvalidFields("too many departments and ids", fault.FieldError{Field: "user_ids", Message: "at most 10000 in all"})
	}
	n := 0
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&User{}).Where("disabled = ?", false)
		switch {
		case len(f.Departments) > 0 && len(f.UserIDs) > 0:
			q = q.Where("(lower(department) IN ? OR id IN ?)", lowerAll(f.Departments), f.UserIDs)
		case len(f.Departments) > 0:
			q = q.Where("lower(department) IN ?", lowerAll(f.Departments))
		default:
			q = q.Where("id IN ?", f.UserIDs)
		}
		if f.OnlyWithoutPassword {
			q = q.Where("password_hash IS NULL")
		}
		var users []User
		if err := q.Order("id").Find(&users).Error; err != nil {
			return err
		}
		for _, u := range users {
			if mayInvite(actor, u) != nil || !s.Passwords.Allows(u) {
				continue
			}
			if _, err := s.enqueueMail(tx, PurposeInvitation, u.ID); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, actor.UserID, audit.UserInvited, u.ID, map[string]any{"delivery": "email", "bulk": true}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fault.Ensure(err, "could not invite")
	}
	s.wake()
	return n, nil
}

// redeem checks a presented token of purpose and marks it used inside tx.
// An unknown token is a 400; a used or expired one is gone (410).
func (s *Service) redeem(tx *gorm.DB, plain, purpose string) (User, error) {
	t, u, err := s.lookupToken(tx, plain, purpose)
	if err != nil {
		return User{}, err
	}
	if !s.Passwords.Allows(u) {
		return User{}, errPasswordsOff
	}
	res := tx.Model(&userToken{}).Where("token_hash = ? AND used_at IS NULL", t.TokenHash).Update("used_at", s.now())
	if res.Error != nil {
		return User{}, res.Error
	}
	if res.RowsAffected != 1 { // a concurrent redemption won
		return User{}, errTokenUsed
	}
	return u, nil
}

var errTokenUsed = fault.Typed(fault.Gone, "token-used", "this link was already used; ask for a new one")

// lookupToken finds a live token of purpose and its enabled owner, or says
// why there is none.
func (s *Service) lookupToken(db *gorm.DB, plain, purpose string) (userToken, User, error) {
	bad := &fault.Error{Code: fault.BadRequest, Type: "token-unknown", Message: "this link is not valid; ask for a new one",
		Fields: []fault.FieldError{{Field: "token", Message: "unknown token"}}}
	if plain == "" || len(plain) > 128 {
		return userToken{}, User{}, bad
	}
	var t userToken
	if err := db.Take(&t, "token_hash = ? AND purpose = ?", HashRefreshToken(plain), purpose).Error; err != nil {
		if store.IsNotFound(err) {
			return t, User{}, bad
		}
		return t, User{}, err
	}
	switch {
	case t.UsedAt != nil:
		return t, User{}, errTokenUsed
	case !s.now().Before(t.ExpiresAt):
		return t, User{}, fault.Typed(fault.Gone, "token-expired", "this link has expired; ask for a new one")
	}
	var u User
	if err := db.Take(&u, "id = ?", t.UserID).Error; err != nil {
		return t, User{}, err
	}
	if u.Disabled {
		return t, User{}, fault.Typed(fault.Gone, "token-expired", "this account is disabled")
	}
	return t, u, nil
}

// checkToken refuses a token that cannot be redeemed before the caller
// spends an argon2 hash on the new password: a stream of made-up tokens
// costs a cheap read each, not 64 MiB of hashing.
func (s *Service) checkToken(ctx context.Context, plain, purpose string) error {
	_, _, err := s.lookupToken(s.db.R.WithContext(ctx), plain, purpose)
	return fault.Ensure(err, "could not check the link")
}

// AcceptInvitation sets the invited person's password and signs them in.
func (s *Service) AcceptInvitation(ctx context.Context, plain, password string) (Session, error) {
	if err := CheckPasswordPolicy(password); err != nil {
		return Session{}, fieldErr("password", err)
	}
	if err := s.checkToken(ctx, plain, PurposeInvitation); err != nil {
		return Session{}, err
	}
	hash, err := s.hashNewPassword(ctx, "password", password)
	if err != nil {
		return Session{}, err
	}
	var sess Session
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		u, err := s.redeem(tx, plain, PurposeInvitation)
		if err != nil {
			return err
		}
		if err := s.setPassword(tx, u.ID, hash); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, u.ID, audit.InvitationAccepted, u.ID, nil); err != nil {
			return err
		}
		sess, err = s.openSession(tx, u, uuid.NewString(), nil)
		return err
	})
	if err != nil {
		return Session{}, fault.Ensure(err, "could not accept the invitation")
	}
	return sess, nil
}

// ForgotPassword queues a reset message when email names an enabled
// account and mail is configured, and does nothing otherwise; the caller
// answers the same either way, so the route does not reveal accounts.
// Requests are throttled like sign-ins: per address, per account and per
// pair, on counters of their own but for the address's, which sign-ins
// and resets share.
func (s *Service) ForgotPassword(ctx context.Context, email, clientIP string) error {
	email = NormaliseEmail(email)
	if err := checkEmail(email); err != nil {
		return fieldErr("email", err)
	}
	if err := s.reserveGuess(ctx, s.guessKeys(resetAccount(email), clientIP)); err != nil {
		return err
	}
	queued := false
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var u User
		err := tx.Take(&u, "email = ?", email).Error
		switch {
		case store.IsNotFound(err):
			return audit.Record(ctx, tx, "", audit.ResetRequested, "", map[string]any{"known": false})
		case err != nil:
			return err
		case u.Disabled || !s.Mail.Enabled || !s.Passwords.Allows(u):
			return audit.Record(ctx, tx, "", audit.ResetRequested, u.ID, map[string]any{"known": true, "sent": false})
		}
		if _, err := s.enqueueMail(tx, PurposeReset, u.ID); err != nil {
			return err
		}
		queued = true
		return audit.Record(ctx, tx, "", audit.ResetRequested, u.ID, map[string]any{"known": true, "sent": true})
	})
	if err != nil {
		return fault.Ensure(err, "could not take the request")
	}
	if queued {
		s.wake()
	}
	return nil
}

// ResetPassword sets a new password with a reset token and ends every
// session of that person.
func (s *Service) ResetPassword(ctx context.Context, plain, password string) error {
	if err := CheckPasswordPolicy(password); err != nil {
		return fieldErr("password", err)
	}
	if err := s.checkToken(ctx, plain, PurposeReset); err != nil {
		return err
	}
	hash, err := s.hashNewPassword(ctx, "password", password)
	if err != nil {
		return err
	}
	return fault.Ensure(s.db.Tx(ctx, func(tx *gorm.DB) error {
		u, err := s.redeem(tx, plain, PurposeReset)
		if err != nil {
			return err
		}
		if err := s.setPassword(tx, u.ID, hash); err != nil {
			return err
		}
		if err := s.revokeFamilies(tx, "user_id = ?", u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, u.ID, audit.PasswordReset, u.ID, nil)
	}), "could not reset the password")
}

func (s *Service) setPassword(tx *gorm.DB, userID, hash string) error {
	return tx.Model(&User{}).Where("id = ?", userID).
		Updates(map[string]any{"password_hash": hash, "updated_at": s.now()}).Error
}

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, v := range ss {
		out[i] = strings.ToLower(strings.TrimSpace(v))
	}
	return out
}

// resetAccount names an email's reset requests in the throttle, apart from
// its sign-ins, so asking for resets never locks the account's sign-in.
func resetAccount(email string) string { return "reset|" + email }

// describe names a person in a message: "Ann Lee <ann@example.com>".
func describe(u User) string { return fmt.Sprintf("%s <%s>", u.Name, u.Email) }
