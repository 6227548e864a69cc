package identity

import (
	"context"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// SetPasswordByEmail is the operator's recovery, from the command line
// on the server (a lost first-admin password, say): it sets the password
// of the account with that email, ends its sessions and clears its sign-in
// throttle. Audited with an empty actor, as "by": "command line".
func (s *Service) SetPasswordByEmail(ctx context.Context, email, password string) (User, error) {
	email = NormaliseEmail(email)
	var u User
	err := s.db.R.WithContext(ctx).Take(&u, "email = ?", email).Error
	if store.IsNotFound(err) {
		return User{}, &fault.Error{Code: fault.NotFound, Message: "no user has the email " + email,
			Fields: []fault.FieldError{{Field: "email", Message: "no such user"}}}
	}
	if err != nil {
		return User{}, fault.Wrap(err, "could not load user")
	}
	hash, err := s.hashNewPassword(ctx, "password", password)
	if err != nil {
		return User{}, err
	}
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&User{}).Where("id = ?", u.ID).
			Updates(map[string]any{"password_hash": hash, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		if err := s.revokeFamilies(tx, "user_id = ?", u.ID); err != nil {
			return err
		}
		if err := tx.Where("account = ?", u.Email).Delete(&throttleRow{}).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "", audit.PasswordChanged, u.ID, map[string]any{"by": "command line"})
	})
	if err != nil {
		return User{}, fault.Ensure(err, "could not set the password")
	}
	return u, nil
}
