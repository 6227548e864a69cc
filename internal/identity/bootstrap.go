package identity

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// Bootstrap creates the first admin when no user exists. With no password
// given it makes a random one and returns it so the caller can print it
// once; otherwise it returns "".
func (s *Service) Bootstrap(ctx context.Context, email, password string) (created bool, generated string, err error) {
	var n int64
	if err := s.db.W.WithContext(ctx).Model(&User{}).Count(&n).Error; err != nil {
		return false, "", fault.Wrap(err, "could not count users")
	}
	if n > 0 {
		return false, "", nil
	}
	if email == "" {
		email = "admin@upskill.local"
	}
	if password == "" {
		password = RandomPassword()
		generated = password
	}
	_, err = s.CreateUser(ctx, Principal{Roles: Roles{RoleAdmin}}, NewUser{
		Email: email, Name: "Administrator", Roles: []string{RoleAdmin}, Password: password})
	if fault.Is(err, fault.Conflict) {
		return false, "", nil // another replica bootstrapped at the same moment
	}
	if err != nil {
		return false, "", fmt.Errorf("create the first admin: %w", err)
	}
	return true, generated, nil
}

// RandomPassword returns a 20-character password from an unambiguous
// alphabet.
func RandomPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// DemoAccount is one sign-in created by EnsureDemo.
type DemoAccount struct{ Role, Email, Password string }

// EnsureDemo creates (or resets) one account per role with a fresh
// password, for trying the API out. Never enabled by default.
func (s *Service) EnsureDemo(ctx context.Context) ([]DemoAccount, error) {
	admin := Principal{Roles: Roles{RoleAdmin}}
	var out []DemoAccount
	for _, role := range AllRoles {
		acc := DemoAccount{Role: role, Email: role + "@demo.upskill.local", Password: "demo-" + RandomPassword()}
		var u User
		err := s.db.R.WithContext(ctx).Take(&u, "email = ?", acc.Email).Error
		switch {
		case store.IsNotFound(err):
			_, err = s.CreateUser(ctx, admin, NewUser{Email: acc.Email, Name: "Demo " + role,
				Department: "Marketing", Roles: []string{role}, Password: acc.Password})
		case err == nil:
			_, err = s.UpdateUser(ctx, admin, u.ID, UserPatch{Password: &acc.Password})
		}
		if err != nil {
			return nil, fmt.Errorf("demo account %s: %w", acc.Email, err)
		}
		out = append(out, acc)
	}
	return out, nil
}
