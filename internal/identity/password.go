// Package identity owns who a caller is: password hashing and policy,
// signed access tokens and opaque refresh tokens. It holds the pure rules;
// storage and HTTP live elsewhere.
package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost settings. They are written into every hash,
// so raising them later only affects new hashes; old ones still verify.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams follow RFC 9106 §4's second recommended option (64 MiB,
// t=3, 128-bit salt, 256-bit tag) but with two lanes instead of four: the
// attacker's cost is set by memory × passes, while lanes only decide how
// many of our cores one login occupies, and our servers are small and busy.
// At 64 MiB each, concurrent logins need a cap in the caller (a semaphore
// of a few slots) or a burst of them becomes a memory exhaustion attack.
func DefaultParams() Params {
	return Params{Memory: 64 * 1024, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}
}

// Limits on what VerifyPassword will accept from a stored hash, so a
// corrupted or planted row cannot make one login allocate gigabytes.
const (
	maxMemory  = 1024 * 1024 // 1 GiB in KiB
	maxTime    = 64
	minSaltLen = 8
	minKeyLen  = 16
	maxKeyLen  = 128
)

// ErrMalformedHash reports a stored password hash that cannot be parsed.
var ErrMalformedHash = errors.New("identity: malformed password hash")

// HashPassword hashes pw with DefaultParams and a fresh random salt, in PHC
// string form: $argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>.
func HashPassword(pw string) (string, error) {
	return DefaultParams().Hash(rand.Reader, pw)
}

// Hash hashes pw with p and a salt read from random.
func (p Params) Hash(random io.Reader, pw string) (string, error) {
	if err := p.check(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("identity: read salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return p.encode(salt, key), nil
}

// VerifyPassword reports whether pw matches encoded, reading the cost
// settings from encoded itself. A wrong password is (false, nil); an
// unparseable hash is an error wrapping ErrMalformedHash.
func VerifyPassword(encoded, pw string) (bool, error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether encoded was made with settings other than p,
// so a successful login can upgrade the stored hash.
func (p Params) NeedsRehash(encoded string) bool {
	got, salt, _, err := decodeHash(encoded)
	if err != nil {
		return true
	}
	got.SaltLen = uint32(len(salt))
	return got != p
}

// dummyHash is a DefaultParams hash of a random password nobody knows. A
// test keeps its settings equal to DefaultParams, so the decoy costs
// exactly what a real check does.
const dummyHash = "$argon2id$v=19$m=65536,t=3,p=2$" +
	"esPqaES2g97vMY4uqieq2A$" +
	"qDdlu0UYFkkwO/No8fotHuvY7aEVQKbFU1QfCidoCQI"

// DummyVerify does the work of VerifyPassword against a decoy hash and
// discards the result. Call it when the email is unknown, so a failed
// login takes the same time whether or not the account exists.
func DummyVerify(pw string) {
	_, _ = VerifyPassword(dummyHash, pw)
}

func (p Params) encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decodeHash(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: not an argon2id PHC string", ErrMalformedHash)
	}
	if parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %q", ErrMalformedHash, parts[2])
	}
	// Sscanf skips spaces and ignores trailing text; printing the values
	// back and comparing keeps the format exact.
	_, err = fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads)
	if err != nil || parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads) {
		return p, nil, nil, fmt.Errorf("%w: bad parameters %q", ErrMalformedHash, parts[3])
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("%w: bad salt encoding", ErrMalformedHash)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("%w: bad hash encoding", ErrMalformedHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.check(); err != nil {
		return p, nil, nil, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return p, salt, key, nil
}

func (p Params) check() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("identity: argon2 time %d out of range 1..%d", p.Time, maxTime)
	case p.Threads < 1:
		return errors.New("identity: argon2 needs at least one lane")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("identity: argon2 memory %d KiB out of range", p.Memory)
	case p.SaltLen < minSaltLen:
		return fmt.Errorf("identity: salt of %d bytes is too short", p.SaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("identity: key length %d out of range %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}
