package identity

import (
	"context"
	"testing"

	"github.com/upskill/upskill/internal/store/storetest"
)

// A made-up token is refused before any password is hashed, so a stream of
// guesses at the public accept and reset routes costs no argon2 work.
func TestUnknownTokensCostNoHash(t *testing.T) {
	hashes := 0
	s := New(storetest.SQLite(t), Options{Params: Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		OnPasswordCheck: func() { hashes++ }})
	ctx := context.Background()
	if _, err := s.AcceptInvitation(ctx, "made-up-token", "a fine long passphrase"); err == nil {
		t.Fatal("a made-up invitation token was accepted")
	}
	if err := s.ResetPassword(ctx, "made-up-token", "a fine long passphrase"); err == nil {
		t.Fatal("a made-up reset token was accepted")
	}
	if hashes != 0 {
		t.Fatalf("%d password hashes for made-up tokens", hashes)
	}
}
