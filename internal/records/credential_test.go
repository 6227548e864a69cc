package records

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/upskill/upskill/internal/keys"
)

const testIssuer = "https://upskill.example.com"

var issued = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func sampleClaims() Claims {
	score := 90
	return Claims{
		Module:      "ai-ethics-basics",
		ModuleTitle: "AI ethics for marketers",
		Revision:    3,
		ContentHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Score:       &score,
		HolderName:  "Zoë Ångström-Łukasiewicz",
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   "8c6f0e7e-2d0a-4c11-9a43-3b7d1f0c5e21",
			ID:        "0b9e5a52-7a0c-4d8e-bb53-6c1f3f2a9d10",
			IssuedAt:  jwt.NewNumericDate(issued),
			ExpiresAt: jwt.NewNumericDate(issued.AddDate(1, 0, 0)),
		},
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	set := newSet(t)
	s := &Signer{Keys: set, Issuer: testIssuer}
	cred, err := s.Sign(sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := set.Active()
	h := decodePart(t, cred, 0)
	if len(h) != 3 || h["alg"] != "EdDSA" || h["typ"] != "JWT" || h["kid"] != kid {
		t.Fatalf("header = %v", h)
	}
	got, err := VerifyAt(cred, set, testIssuer, issued)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleClaims()
	if got.Issuer != testIssuer || got.Subject != want.Subject || got.ID != want.ID ||
		got.Module != want.Module || got.ModuleTitle != want.ModuleTitle || got.Revision != 3 ||
		got.ContentHash != want.ContentHash || got.Score == nil || *got.Score != 90 ||
		got.HolderName != want.HolderName || !got.IssuedAt.Equal(issued) ||
		!got.NotBefore.Equal(issued) || !got.ExpiresAt.Equal(issued.AddDate(1, 0, 0)) {
		t.Fatalf("claims = %+v", got)
	}
}

func TestNoQuizAndNoExpiryAreAbsent(t *testing.T) {
	set := newSet(t)
	c := sampleClaims()
	c.Score, c.ExpiresAt = nil, nil
	cred, err := (&Signer{Keys: set, Issuer: testIssuer}).Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	p := decodePart(t, cred, 1)
	if _, ok := p["score"]; ok {
		t.Fatalf("score present in %v", p)
	}
	if _, ok := p["exp"]; ok {
		t.Fatalf("exp present in %v", p)
	}
	got, err := VerifyAt(cred, set, testIssuer, issued.AddDate(50, 0, 0))
	if err != nil || got.Score != nil || got.Expired(issued.AddDate(50, 0, 0)) {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestExpiredRecordStillVerifies(t *testing.T) {
	set := newSet(t)
	cred, _ := (&Signer{Keys: set, Issuer: testIssuer}).Sign(sampleClaims())
	later := issued.AddDate(2, 0, 0)
	got, err := VerifyAt(cred, set, testIssuer, later)
	if err != nil {
		t.Fatalf("an expired record is genuine, not invalid: %v", err)
	}
	if !got.Expired(later) || got.Expired(issued) {
		t.Fatal("Expired should be true after exp and false before")
	}
	if _, err := Verify(cred, set, testIssuer); err != nil {
		t.Fatalf("Verify with the wall clock: %v", err)
	}
}

func TestRetiredKeyStillVerifies(t *testing.T) {
	_, oldKey, _ := ed25519.GenerateKey(rand.Reader)
	oldSet, _ := keys.NewSet(oldKey)
	cred, _ := (&Signer{Keys: oldSet, Issuer: testIssuer}).Sign(sampleClaims())

	_, newKey, _ := ed25519.GenerateKey(rand.Reader)
	rotated, _ := keys.NewSet(newKey, oldKey.Public().(ed25519.PublicKey))
	if _, err := VerifyAt(cred, rotated, testIssuer, issued); err != nil {
		t.Fatalf("record signed by a retired key: %v", err)
	}
	withoutOld, _ := keys.NewSet(newKey)
	if _, err := VerifyAt(cred, withoutOld, testIssuer, issued); !errors.Is(err, ErrInvalidCredential) {
		t.Fatalf("record of a dropped key: %v", err)
	}
}

func TestSignRefusesIncompleteRecords(t *testing.T) {
	s := &Signer{Keys: newSet(t), Issuer: testIssuer}
	for name, edit := range map[string]func(*Claims){
		"no id":       func(c *Claims) { c.ID = "" },
		"no subject":  func(c *Claims) { c.Subject = "" },
		"no module":   func(c *Claims) { c.Module = "" },
		"no revision": func(c *Claims) { c.Revision = 0 },
		"no hash":     func(c *Claims) { c.ContentHash = "" },
		"no iat":      func(c *Claims) { c.IssuedAt = nil },
	} {
		c := sampleClaims()
		edit(&c)
		if _, err := s.Sign(c); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
	if _, err := (&Signer{Keys: newSet(t)}).Sign(sampleClaims()); err == nil {
		t.Error("signed without an issuer")
	}
}

func TestVerifyRejects(t *testing.T) {
	set := newSet(t)
	kid, key := set.Active()
	good, _ := (&Signer{Keys: set, Issuer: testIssuer}).Sign(sampleClaims())
	parts := strings.Split(good, ".")
	_, other, _ := ed25519.GenerateKey(rand.Reader)

	header := func(alg, typ, kid string) map[string]any {
		h := map[string]any{"alg": alg, "typ": typ}
		if kid != "" {
			h["kid"] = kid
		}
		return h
	}
	payload := func(edit func(map[string]any)) map[string]any {
		p := decodePart(t, good, 1)
		if edit != nil {
			edit(p)
		}
		return p
	}
	ed := func(k ed25519.PrivateKey) func([]byte) []byte {
		return func(in []byte) []byte { return ed25519.Sign(k, in) }
	}
	hs := func(in []byte) []byte {
		m := hmac.New(sha256.New, key.Public().(ed25519.PublicKey))
		m.Write(in)
		return m.Sum(nil)
	}
	upgraded := payload(func(p map[string]any) { p["score"] = 100 })

	for _, tc := range []struct{ name, cred, why string }{
		{"altered payload", parts[0] + "." + encode(t, upgraded) + "." + parts[2], "verification error"},
		{"re-signed by another key, same kid", forge(t, header("EdDSA", "JWT", kid), upgraded, ed(other)), "verification error"},
		{"unknown kid", forge(t, header("EdDSA", "JWT", keys.Thumbprint(other.Public().(ed25519.PublicKey))), upgraded, ed(other)), "unknown kid"},
		{"no kid", forge(t, header("EdDSA", "JWT", ""), upgraded, ed(key)), "no kid"},
		{"alg none", forge(t, header("none", "JWT", kid), upgraded, nil), "signing method none is invalid"},
		{"HS256 keyed with the public key", forge(t, header("HS256", "JWT", kid), upgraded, hs), "signing method HS256 is invalid"},
		{"access token type", forge(t, header("EdDSA", "at+jwt", kid), upgraded, ed(key)), "not a record credential"},
		{"wrong issuer", forge(t, header("EdDSA", "JWT", kid), payload(func(p map[string]any) { p["iss"] = "https://evil.example" }), ed(key)), "issuer"},
		{"no module", forge(t, header("EdDSA", "JWT", kid), payload(func(p map[string]any) { delete(p, "module") }), ed(key)), "no module"},
		{"dated in the future", forge(t, header("EdDSA", "JWT", kid), payload(func(p map[string]any) { p["nbf"] = issued.Add(time.Hour).Unix() }), ed(key)), "not valid before"},
		{"truncated", parts[0] + "." + parts[1], "segments"},
		{"empty", "", "segments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := VerifyAt(tc.cred, set, testIssuer, issued)
			if err == nil || c != nil {
				t.Fatalf("accepted: %+v", c)
			}
			if !errors.Is(err, ErrInvalidCredential) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("error %v: want ErrInvalidCredential because %q", err, tc.why)
			}
		})
	}
	if _, err := VerifyAt(good, set, "https://other.example", issued); !errors.Is(err, ErrInvalidCredential) {
		t.Fatalf("verifying against another issuer: %v", err)
	}
	// Control: the hand-built path accepts an honest credential.
	if _, err := VerifyAt(forge(t, header("EdDSA", "JWT", kid), payload(nil), ed(key)), set, testIssuer, issued); err != nil {
		t.Fatalf("control credential rejected: %v", err)
	}
}

func newSet(t testing.TB) *keys.Set {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := keys.NewSet(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func forge(t *testing.T, header, payload map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	in := encode(t, header) + "." + encode(t, payload)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(in))
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func encode(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePart(t *testing.T, cred string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(cred, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
