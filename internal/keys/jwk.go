package keys

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// JWK is the public half of an Ed25519 key as RFC 8037 writes it, the shape
// served at /.well-known/jwks.json.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// PublicJWK describes pub as a signing JWK whose kid is its RFC 7638
// thumbprint.
func PublicJWK(pub ed25519.PublicKey) JWK {
	return JWK{
		Kty: "OKP",
		Crv: "Ed25519",
		X:   base64.RawURLEncoding.EncodeToString(pub),
		Kid: Thumbprint(pub),
		Alg: "EdDSA",
		Use: "sig",
	}
}

// Thumbprint is the RFC 7638 JWK thumbprint of pub: base64url (no padding)
// of the SHA-256 of the key's required members in lexicographic order with
// no whitespace. Deriving the kid from the key means every replica that
// loads the same file agrees on it without coordination, and a verifier can
// recompute it from the published JWK.
func Thumbprint(pub ed25519.PublicKey) string {
	// x is base64url, so it never needs JSON escaping and plain
	// concatenation yields the canonical form.
	canon := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Set is the service's key ring: one active key that signs, plus retired
// public keys that still verify what was signed before a rotation. A Set is
// immutable after NewSet, so it is safe for concurrent use; rotate by
// building a new one.
type Set struct {
	activeKid string
	active    ed25519.PrivateKey
	byKid     map[string]ed25519.PublicKey
	order     []string // kids as JWKS lists them: active first
}

// NewSet builds a Set that signs with active and also accepts signatures by
// the retired keys. A retired key equal to the active one, or repeated, is
// listed once.
func NewSet(active ed25519.PrivateKey, retired ...ed25519.PublicKey) (*Set, error) {
	if len(active) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("keys: active key has %d bytes, want %d", len(active), ed25519.PrivateKeySize)
	}
	pub := active.Public().(ed25519.PublicKey)
	s := &Set{
		activeKid: Thumbprint(pub),
		active:    active,
		byKid:     map[string]ed25519.PublicKey{},
	}
	s.add(pub)
	for i, r := range retired {
		if len(r) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("keys: retired key %d has %d bytes, want %d", i, len(r), ed25519.PublicKeySize)
		}
		s.add(r)
	}
	return s, nil
}

func (s *Set) add(pub ed25519.PublicKey) {
	kid := Thumbprint(pub)
	if _, ok := s.byKid[kid]; ok {
		return
	}
	// Copy so a caller reusing its slice cannot change a key we trust.
	s.byKid[kid] = append(ed25519.PublicKey(nil), pub...)
	s.order = append(s.order, kid)
}

// Active returns the key new tokens and records are signed with, and its
// kid for the JWS header.
func (s *Set) Active() (kid string, key ed25519.PrivateKey) {
	return s.activeKid, s.active
}

// Lookup returns the verification key with the given kid, active or
// retired.
func (s *Set) Lookup(kid string) (ed25519.PublicKey, bool) {
	pub, ok := s.byKid[kid]
	return pub, ok
}

// KeyFor returns the verification key named by the "kid" of a JWS header,
// for a JWT library's key callback. Only keys of this Set are candidates: a
// token cannot bring its own key (jwk, jku and x5u are never consulted).
func (s *Set) KeyFor(header map[string]any) (ed25519.PublicKey, error) {
	kid, ok := header["kid"].(string)
	if !ok || kid == "" {
		return nil, errors.New("no kid in header")
	}
	pub, ok := s.Lookup(kid)
	if !ok {
		return nil, fmt.Errorf("unknown kid %q", kid)
	}
	return pub, nil
}

// JWKS lists every verification key as a JWK, the active key first. Wrap
// it as {"keys": ...} to serve it.
func (s *Set) JWKS() []JWK {
	out := make([]JWK, 0, len(s.order))
	for _, kid := range s.order {
		out = append(out, PublicJWK(s.byKid[kid]))
	}
	return out
}
