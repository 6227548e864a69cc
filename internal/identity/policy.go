package identity

import (
	_ "embed"
	"errors"
	"strings"
	"unicode/utf8"
)

// Password length bounds. The minimum follows NIST SP 800-63B's advice to
// prefer length over composition rules; the maximum keeps argon2 input
// bounded without cutting off any passphrase a person would type.
const (
	MinPasswordRunes = 12
	MaxPasswordBytes = 256
)

// ErrWeakPassword is wrapped by every CheckPasswordPolicy failure; the
// error's own message says which rule failed and is safe to show the user.
var ErrWeakPassword = errors.New("password does not meet the policy")

type policyError string

func (e policyError) Error() string { return string(e) }
func (e policyError) Unwrap() error { return ErrWeakPassword }

//go:embed common-passwords.txt
var commonPasswordsText string

// commonPasswords is built once from the embedded list; it is read-only
// afterwards, so sharing it between goroutines is safe.
var commonPasswords = parseCommonPasswords(commonPasswordsText)

func parseCommonPasswords(text string) map[string]bool {
	set := map[string]bool{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[strings.ToLower(line)] = true
	}
	return set
}

// CheckPasswordPolicy returns nil when pw may be used as a password, or an
// error wrapping ErrWeakPassword whose message names the rule it breaks.
// The password is checked exactly as typed: no trimming, so what the user
// set is what they must type.
func CheckPasswordPolicy(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return policyError("password must be valid UTF-8 text")
	case len(pw) > MaxPasswordBytes:
		return policyError("password must be at most 256 bytes long")
	case utf8.RuneCountInString(pw) < MinPasswordRunes:
		return policyError("password must be at least 12 characters long")
	case oneRepeatedRune(pw):
		return policyError("password must not be one character repeated")
	case commonPasswords[strings.ToLower(pw)]:
		return policyError("password is too common; choose a less predictable one")
	}
	return nil
}

func oneRepeatedRune(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}
