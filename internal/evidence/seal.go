package evidence

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// derive returns a 32-byte key for purpose from the active record-signing
// key's seed (HKDF-SHA256), and that key's kid.
func (s *Service) derive(purpose string) ([]byte, string, error) {
	if s.opt.RecordKeys == nil {
		return nil, "", errors.New("evidence: no key material")
	}
	kid, priv := s.opt.RecordKeys.Active()
	k, err := hkdf.Key(sha256.New, priv.Seed(), nil, "upskill "+purpose, 32)
	return k, kid, err
}

// seal encrypts a webhook secret for storage: "v1.<kid>.<base64url nonce+ciphertext>".
// The kid names the record-signing key the sealing key came from, so a
// secret sealed before a key rotation is recognised (and must be rotated).
func (s *Service) seal(secret string) (string, error) {
	key, kid, err := s.derive("webhook secrets v1")
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := gcm.Seal(nonce, nonce, []byte(secret), []byte(kid))
	return "v1." + kid + "." + base64.RawURLEncoding.EncodeToString(ct), nil
}

func (s *Service) unseal(sealed string) (string, error) {
	parts := strings.Split(sealed, ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return "", errors.New("evidence: unreadable sealed secret")
	}
	key, kid, err := s.derive("webhook secrets v1")
	if err != nil {
		return "", err
	}
	if parts[1] != kid {
		return "", fmt.Errorf("evidence: the secret was sealed under record key %s, which no longer signs; rotate the webhook's secret", parts[1])
	}
	ct, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	if len(ct) < gcm.NonceSize() {
		return "", errors.New("evidence: sealed secret too short")
	}
	pt, err := gcm.Open(nil, ct[:gcm.NonceSize()], ct[gcm.NonceSize():], []byte(kid))
	if err != nil {
		return "", fmt.Errorf("evidence: open sealed secret: %w", err)
	}
	return string(pt), nil
}

// pseudonym is a stable opaque value for (purpose, id): the same person
// always gets the same one, and nobody without the key can link it back.
func (s *Service) pseudonym(purpose, id string) ([]byte, error) {
	key, _, err := s.derive(purpose)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return m.Sum(nil), nil
}

// newSecret is a Standard Webhooks secret: "whsec_" and base64 of 32
// random bytes.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// Sign is the Standard Webhooks signature of one delivery under secret:
// "v1," and base64 of HMAC-SHA256 over "<id>.<timestamp>.<body>", keyed
// with the base64-decoded part of the secret after "whsec_".
func Sign(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", fmt.Errorf("evidence: bad webhook secret: %w", err)
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", id, timestamp)
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}
