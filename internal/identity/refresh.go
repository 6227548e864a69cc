package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewRefreshToken returns a fresh opaque refresh token for the client and
// the hash to store. 32 random bytes cannot be guessed, so an unsalted
// fast hash is enough: it only has to keep a database leak from handing
// out live tokens.
func NewRefreshToken() (plain string, hash string) {
	b := make([]byte, 32)
	// crypto/rand.Read never fails (it crashes the program instead).
	_, _ = rand.Read(b)
	plain = base64.RawURLEncoding.EncodeToString(b)
	return plain, HashRefreshToken(plain)
}

// HashRefreshToken is the stored form of a refresh token: hex SHA-256 of
// the string the client holds. Look tokens up by it.
func HashRefreshToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}
