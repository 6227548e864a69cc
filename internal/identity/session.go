package identity

import (
	"context"
	"math"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// Session is what a login or a refresh returns.
type Session struct {
	AccessToken  string
	ExpiresIn    int // seconds
	RefreshToken string
	User         User
}

// refreshToken is a stored refresh token; only its hash is kept.
type refreshToken struct {
	ID        string
	FamilyID  string
	UserID    string
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	SpentAt   *time.Time
	RevokedAt *time.Time
	// FamilyExpiresAt ends the login however often it is refreshed; NULL
	// on tokens issued before the rule (their next rotation sets it).
	FamilyExpiresAt *time.Time
	// GraceUsedAt is when the spent token got its one sibling within the
	// reuse grace.
	GraceUsedAt *time.Time
}

func (refreshToken) TableName() string { return "refresh_tokens" }

// errBadLogin is the same answer for an unknown email, a wrong password, a
// user without a password and a disabled user.
var errBadLogin = fault.New(fault.Unauthorized, "email or password is incorrect")

// Login checks a password and opens a session (a new refresh-token family).
// The attempt is counted before the password is hashed (reserveGuess), so
// a burst gets no more hashes than the throttle allows.
func (s *Service) Login(ctx context.Context, email, password, clientIP string) (Session, error) {
	email = NormaliseEmail(email)
	if len(email) > maxEmailBytes {
		// No account can have it, and as a throttle key it would not fit
		// PostgreSQL's index.
		return Session{}, fieldErr("email", errEmailTooLong)
	}
	if !s.Passwords.mayTry(email) {
		return Session{}, errPasswordsOff
	}
	keys := s.guessKeys(email, clientIP)
	if err := s.reserveGuess(ctx, keys); err != nil {
		return Session{}, err
	}
	var u User
	err := s.db.R.WithContext(ctx).Take(&u, "email = ?", email).Error
	if err != nil && !store.IsNotFound(err) {
		return Session{}, fault.Wrap(err, "could not load user")
	}
	found := err == nil
	var hash *string
	if found {
		hash = u.PasswordHash
	}
	ok, verr := s.verify(ctx, hash, password)
	if verr != nil {
		return Session{}, verr
	}
	if !found || !ok || u.Disabled || u.ErasedAt != nil || !s.Passwords.Allows(u) {
		return Session{}, s.refuseLogin(ctx, u.ID, email)
	}
	return s.openLogin(ctx, u, password, keys)
}

// refuseLogin records a failed sign-in (actor is "" when no account has
// the email) and returns errBadLogin.
func (s *Service) refuseLogin(ctx context.Context, actor, email string) error {
	if err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		return audit.Record(ctx, tx, actor, audit.LoginFailed, email, map[string]any{"email": email})
	}); err != nil {
		return fault.Wrap(err, "could not record the failed sign-in")
	}
	return errBadLogin
}

// openLogin opens the session of a checked sign-in, gives its attempt
// back to the throttle and upgrades an old password hash.
func (s *Service) openLogin(ctx context.Context, u User, password string, keys []throttleKey) (Session, error) {
	// A hash made with older cost settings is upgraded while the password
	// is at hand; failing to do so never fails the sign-in.
	var rehashed *string
	if s.params.NeedsRehash(*u.PasswordHash) {
		if h, err := s.hash(ctx, password); err == nil {
			rehashed = &h
		}
	}
	var sess Session
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := refundGuess(tx, keys); err != nil {
			return err
		}
		if rehashed != nil {
			if err := tx.Model(&User{}).Where("id = ?", u.ID).Update("password_hash", *rehashed).Error; err != nil {
				return err
			}
		}
		var err error
		sess, err = s.openSession(tx, u, uuid.NewString(), nil)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, u.ID, audit.LoginSucceeded, u.ID, nil)
	})
	if err != nil {
		return Session{}, fault.Wrap(err, "could not open the session")
	}
	return sess, nil
}

// openSession stores a new refresh token in family and signs an access
// token for it. The token lives refreshTTL but never past the family's
// absolute end, deadline (nil: a new family, ending refreshMaxAge from now).
func (s *Service) openSession(tx *gorm.DB, u User, family string, deadline *time.Time) (Session, error) {
	plain, hash := NewRefreshToken()
	now := s.now()
	if deadline == nil {
		end := now.Add(s.refreshMaxAge)
		deadline = &end
	}
	rt := refreshToken{ID: uuid.NewString(), FamilyID: family, UserID: u.ID, TokenHash: hash,
		CreatedAt: now, ExpiresAt: minTime(now.Add(s.refreshTTL), *deadline), FamilyExpiresAt: deadline}
	if err := tx.Create(&rt).Error; err != nil {
		return Session{}, err
	}
	access, exp, err := s.tokens.IssueForSession(u.ID, u.Roles, family)
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: access, ExpiresIn: int(math.Ceil(exp.Sub(now).Seconds())), RefreshToken: plain, User: u}, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

var errBadRefresh = fault.New(fault.Unauthorized, "the refresh token is not valid")

// Refresh spends a refresh token and returns a new pair in the same
// family. A spent token presented again within the reuse grace of its
// rotation gets a sibling in the same family, once (two tabs refreshing
// together); any other reuse revokes the whole family, siblings included.
func (s *Service) Refresh(ctx context.Context, plain string) (Session, error) {
	if plain == "" {
		return Session{}, errBadRefresh
	}
	var sess Session
	var reused *refreshToken
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		rt, err := s.liveRefreshToken(tx, plain)
		if err != nil {
			return err
		}
		now := s.now()
		spent := rt.SpentAt != nil
		if !spent {
			res := tx.Model(&refreshToken{}).Where("id = ? AND spent_at IS NULL", rt.ID).Update("spent_at", now)
			if res.Error != nil {
				return res.Error
			}
			if spent = res.RowsAffected == 0; spent { // a concurrent refresh spent it first
				if err := tx.Take(&rt, "id = ?", rt.ID).Error; err != nil {
					return err
				}
			}
		}
		if spent {
			ok, err := s.takeGrace(ctx, tx, rt)
			if err != nil {
				return err
			}
			if !ok {
				reused = &rt
				return nil
			}
		}
		var u User
		if err := tx.Take(&u, "id = ?", rt.UserID).Error; err != nil {
			return err
		}
		if u.Disabled {
			return errBadRefresh
		}
		sess, err = s.openSession(tx, u, rt.FamilyID, rt.FamilyExpiresAt)
		return err
	})
	if err != nil {
		return Session{}, fault.Ensure(err, "could not refresh the session")
	}
	if reused != nil {
		if err := s.db.Tx(ctx, func(tx *gorm.DB) error {
			if err := s.revokeFamilies(tx, "family_id = ?", reused.FamilyID); err != nil {
				return err
			}
			return audit.Record(ctx, tx, reused.UserID, audit.RefreshReused, reused.UserID,
				map[string]any{"family_id": reused.FamilyID})
		}); err != nil {
			return Session{}, fault.Wrap(err, "could not revoke the session")
		}
		return Session{}, errBadRefresh
	}
	return sess, nil
}

// liveRefreshToken finds the stored token of plain, refusing unknown,
// revoked and expired ones and those whose family has ended.
func (s *Service) liveRefreshToken(tx *gorm.DB, plain string) (refreshToken, error) {
	var rt refreshToken
	err := tx.Take(&rt, "token_hash = ?", HashRefreshToken(plain)).Error
	if store.IsNotFound(err) {
		return rt, errBadRefresh
	}
	if err != nil {
		return rt, err
	}
	now := s.now()
	if rt.RevokedAt != nil || now.After(rt.ExpiresAt) ||
		(rt.FamilyExpiresAt != nil && !now.Before(*rt.FamilyExpiresAt)) {
		return rt, errBadRefresh
	}
	return rt, nil
}

// takeGrace claims the one sibling a spent token may get when it is
// presented again within the reuse grace of its rotation, and audits it.
// It reports false when the grace has passed or was already used.
func (s *Service) takeGrace(ctx context.Context, tx *gorm.DB, rt refreshToken) (bool, error) {
	now := s.now()
	if rt.SpentAt == nil || rt.GraceUsedAt != nil || now.Sub(*rt.SpentAt) > s.reuseGrace {
		return false, nil
	}
	res := tx.Model(&refreshToken{}).Where("id = ? AND grace_used_at IS NULL", rt.ID).Update("grace_used_at", now)
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	return true, audit.Record(ctx, tx, rt.UserID, audit.RefreshGrace, rt.UserID,
		map[string]any{"family_id": rt.FamilyID})
}

// Logout revokes the login the refresh token belongs to. Unknown tokens
// are ignored: logging out is idempotent.
func (s *Service) Logout(ctx context.Context, plain string) error {
	if plain == "" {
		return nil
	}
	return fault.Ensure(s.db.Tx(ctx, func(tx *gorm.DB) error {
		var rt refreshToken
		err := tx.Take(&rt, "token_hash = ?", HashRefreshToken(plain)).Error
		if store.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.revokeFamilies(tx, "family_id = ?", rt.FamilyID)
	}), "could not log out")
}

func (s *Service) revokeFamilies(tx *gorm.DB, where string, args ...any) error {
	return tx.Model(&refreshToken{}).Where(where, args...).Where("revoked_at IS NULL").
		Update("revoked_at", s.now()).Error
}

// ChangePassword checks the current password, stores the new one and
// revokes every other session of the user. Guesses of the current
// password are throttled and audited like sign-ins, under the same keys.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next, clientIP string) error {
	u, err := s.GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	// A new password the policy refuses is answered before anything is
	// guessed, so that retrying it costs no attempt.
	if err := CheckPasswordPolicy(next); err != nil {
		return fieldErr("new_password", err)
	}
	keys := s.guessKeys(u.Email, clientIP)
	if err := s.reserveGuess(ctx, keys); err != nil {
		return err
	}
	ok, err := s.verify(ctx, u.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok || u.PasswordHash == nil {
		if err := s.db.Tx(ctx, func(tx *gorm.DB) error {
			return audit.Record(ctx, tx, u.ID, ActionPasswordChangeFailed, u.ID, nil)
		}); err != nil {
			return fault.Wrap(err, "could not record the failed password change")
		}
		return fault.InvalidFields("the current password is incorrect",
			fault.FieldError{Field: "current_password", Message: "incorrect"})
	}
	hash, err := s.hashNewPassword(ctx, "new_password", next)
	if err != nil {
		return err
	}
	return fault.Ensure(s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := refundGuess(tx, keys); err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"password_hash": hash, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		if err := s.revokeFamilies(tx, "user_id = ? AND family_id <> ?", u.ID, p.SessionID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, u.ID, audit.PasswordChanged, u.ID, map[string]any{"by": "self"})
	}), "could not change the password")
}
