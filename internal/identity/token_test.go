package identity

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/upskill/upskill/internal/keys"
)

const (
	testIssuer   = "https://upskill.example.com"
	testAudience = "upskill-api"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fixture is one key Set and an issuer whose clock the test moves.
type fixture struct {
	key    ed25519.PrivateKey
	kid    string
	set    *keys.Set
	clock  time.Time
	issuer *TokenIssuer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{key: newEd25519(t), clock: t0}
	f.set = mustSet(t, f.key)
	f.kid, _ = f.set.Active()
	f.issuer = &TokenIssuer{Keys: f.set, Issuer: testIssuer, Audience: testAudience,
		TTL: 15 * time.Minute, Now: func() time.Time { return f.clock }}
	return f
}

func TestIssueParseRoundTrip(t *testing.T) {
	f := newFixture(t)
	tok, exp, err := f.issuer.Issue("user-1", []string{"learner", "hr"})
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(t0.Add(15 * time.Minute)) {
		t.Fatalf("expiresAt = %v", exp)
	}
	header := decodeSegment(t, tok, 0)
	if header["alg"] != "EdDSA" || header["kid"] != f.kid || header["typ"] != "at+jwt" {
		t.Fatalf("header = %v", header)
	}
	c, err := f.issuer.Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "user-1" || c.Issuer != testIssuer || !slices.Equal(c.Roles, []string{"learner", "hr"}) ||
		!slices.Equal(c.Audience, []string{testAudience}) || c.ID == "" ||
		!c.IssuedAt.Equal(t0) || !c.NotBefore.Equal(t0) || !c.ExpiresAt.Equal(exp) {
		t.Fatalf("claims = %+v", c)
	}
}

func TestIssueWithoutRolesWritesEmptyArray(t *testing.T) {
	f := newFixture(t)
	tok, _, err := f.issuer.Issue("user-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(segment(t, tok, 1)), `"roles":[]`) {
		t.Fatalf("payload %s", segment(t, tok, 1))
	}
	if _, _, err := f.issuer.Issue("", nil); err == nil {
		t.Fatal("want an error for an empty user id")
	}
}

func TestMisconfiguredIssuerRefuses(t *testing.T) {
	f := newFixture(t)
	good, _, _ := f.issuer.Issue("user-1", nil)
	for name, ti := range map[string]*TokenIssuer{
		"no keys":     {Issuer: testIssuer, Audience: testAudience},
		"no issuer":   {Keys: f.set, Audience: testAudience},
		"no audience": {Keys: f.set, Issuer: testIssuer},
	} {
		if _, _, err := ti.Issue("user-1", nil); err == nil {
			t.Errorf("%s: Issue succeeded", name)
		}
		if _, err := ti.Parse(good); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: Parse = %v", name, err)
		}
	}
}

func TestParseLeewayOnExpiry(t *testing.T) {
	f := newFixture(t)
	tok, exp, _ := f.issuer.Issue("user-1", nil)
	f.clock = exp.Add(20 * time.Second)
	if _, err := f.issuer.Parse(tok); err != nil {
		t.Fatalf("20 s past exp should pass within the 30 s leeway: %v", err)
	}
	f.clock = exp.Add(31 * time.Second)
	if _, err := f.issuer.Parse(tok); !errors.Is(err, ErrInvalidToken) || !errors.Is(err, jwt.ErrTokenExpired) {
		t.Fatalf("31 s past exp: %v", err)
	}
}

func TestRotatedKeyStillVerifiesOldTokens(t *testing.T) {
	old := newFixture(t)
	tok, _, _ := old.issuer.Issue("user-1", []string{"learner"})

	newKey := newEd25519(t)
	rotated := mustSet(t, newKey, old.key.Public().(ed25519.PublicKey))
	ti := &TokenIssuer{Keys: rotated, Issuer: testIssuer, Audience: testAudience, Now: old.issuer.Now}
	if _, err := ti.Parse(tok); err != nil {
		t.Fatalf("token signed by a retired key: %v", err)
	}
	fresh, _, _ := ti.Issue("user-1", nil)
	if kid, _ := rotated.Active(); decodeSegment(t, fresh, 0)["kid"] != kid {
		t.Fatal("new tokens must be signed with the new active key")
	}
	ti.Keys = mustSet(t, newKey)
	if _, err := ti.Parse(tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("once the old key is dropped its tokens must fail: %v", err)
	}
}

// TestParseRejects builds each attack by hand where golang-jwt refuses to.
func TestParseRejects(t *testing.T) {
	f := newFixture(t)
	good, _, _ := f.issuer.Issue("user-1", []string{"learner"})
	pub := f.key.Public().(ed25519.PublicKey)
	other := newEd25519(t)

	hdr := func(alg string) map[string]any { return map[string]any{"alg": alg, "typ": "at+jwt", "kid": f.kid} }
	edSign := func(k ed25519.PrivateKey) signFunc {
		return func(in []byte) []byte { return ed25519.Sign(k, in) }
	}
	hmacSign := func(secret []byte) signFunc {
		return func(in []byte) []byte { m := hmac.New(sha256.New, secret); m.Write(in); return m.Sum(nil) }
	}
	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{
			"iss": testIssuer, "aud": []string{testAudience}, "sub": "user-1", "roles": []string{"admin"},
			"iat": t0.Unix(), "nbf": t0.Unix(), "exp": t0.Add(time.Hour).Unix(), "jti": "x",
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	withHeader := func(edit func(map[string]any)) map[string]any {
		h := hdr("EdDSA")
		edit(h)
		return h
	}
	issuerFor := func(iss, aud string) *TokenIssuer {
		return &TokenIssuer{Keys: f.set, Issuer: iss, Audience: aud, Now: f.issuer.Now}
	}
	mustIssue := func(ti *TokenIssuer) string {
		tok, _, err := ti.Issue("user-1", []string{"learner"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	parts := strings.Split(good, ".")

	cases := []struct{ name, tok, why string }{
		{"alg none", forge(t, hdr("none"), claims(nil), nil), "signing method none is invalid"},
		{"alg none, uppercase", forge(t, hdr("NONE"), claims(nil), nil), "signing method (alg) is unavailable"},
		{"HS256 keyed with the public key", forge(t, hdr("HS256"), claims(nil), hmacSign(pub)), "signing method HS256 is invalid"},
		{"HS256 with an empty secret", forge(t, hdr("HS256"), claims(nil), hmacSign(nil)), "signing method HS256 is invalid"},
		{"RS256 header, Ed25519 signature", forge(t, hdr("RS256"), claims(nil), edSign(f.key)), "signing method RS256 is invalid"},
		{"tampered roles", parts[0] + "." + encodeJSON(t, claims(nil)) + "." + parts[2], "verification error"},
		{"signature stripped", parts[0] + "." + parts[1] + ".", "verification error"},
		{"signature truncated", parts[0] + "." + parts[1] + "." + parts[2][:40], "verification error"},
		{"no exp", forge(t, hdr("EdDSA"), claims(func(c map[string]any) { delete(c, "exp") }), edSign(f.key)), "exp claim is required"},
		{"nbf beyond leeway", forge(t, hdr("EdDSA"), claims(func(c map[string]any) { c["nbf"] = t0.Add(time.Minute).Unix() }), edSign(f.key)), "token is not valid yet"},
		{"iat beyond leeway", forge(t, hdr("EdDSA"), claims(func(c map[string]any) { c["iat"] = t0.Add(time.Minute).Unix() }), edSign(f.key)), "token used before issued"},
		{"issued in the future", mustIssue(&TokenIssuer{Keys: f.set, Issuer: testIssuer, Audience: testAudience, Now: func() time.Time { return t0.Add(5 * time.Minute) }}), "not valid yet"},
		{"wrong iss", mustIssue(issuerFor("https://evil.example.com", testAudience)), "invalid issuer"},
		{"wrong aud", mustIssue(issuerFor(testIssuer, "other-api")), "invalid audience"},
		{"no aud", forge(t, hdr("EdDSA"), claims(func(c map[string]any) { delete(c, "aud") }), edSign(f.key)), "aud claim is required"},
		{"no sub", forge(t, hdr("EdDSA"), claims(func(c map[string]any) { delete(c, "sub") }), edSign(f.key)), "no subject"},
		{"exp as a string", forge(t, hdr("EdDSA"), claims(func(c map[string]any) { c["exp"] = "tomorrow" }), edSign(f.key)), "could not JSON decode claim"},
		{"unknown kid", forge(t, withHeader(func(h map[string]any) { h["kid"] = "not-a-key-we-know" }), claims(nil), edSign(f.key)), "unknown kid"},
		{"no kid", forge(t, withHeader(func(h map[string]any) { delete(h, "kid") }), claims(nil), edSign(f.key)), "no kid in header"},
		{"kid is a number", forge(t, withHeader(func(h map[string]any) { h["kid"] = 7 }), claims(nil), edSign(f.key)), "no kid in header"},
		{"other key, same kid", forge(t, hdr("EdDSA"), claims(nil), edSign(other)), "verification error"},
		{"record type (typ JWT)", forge(t, withHeader(func(h map[string]any) { h["typ"] = "JWT" }), claims(nil), edSign(f.key)), "token type \"JWT\""},
		{"no typ", forge(t, withHeader(func(h map[string]any) { delete(h, "typ") }), claims(nil), edSign(f.key)), "token type \"\""},
		{"empty", "", "invalid number of segments"},
		{"two segments", parts[0] + "." + parts[1], "invalid number of segments"},
		{"four segments", good + ".x", "invalid number of segments"},
		{"garbage", "not.a.token", "could not base64 decode header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := f.issuer.Parse(tc.tok)
			if err == nil || c != nil {
				t.Fatalf("accepted: %+v", c)
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v does not wrap ErrInvalidToken", err)
			}
			// The reason matters: a case rejected by accident tests nothing.
			if !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("rejected for %q, want a reason containing %q", err, tc.why)
			}
		})
	}
	// The hand-built tokens are only meaningful if the same construction
	// with honest values is accepted.
	if _, err := f.issuer.Parse(forge(t, hdr("EdDSA"), claims(nil), edSign(f.key))); err != nil {
		t.Fatalf("control token rejected: %v", err)
	}
}

type signFunc func(signingInput []byte) []byte

// forge assembles a compact JWS from raw parts, so tests can build tokens
// golang-jwt would refuse to sign. A nil sign leaves the signature empty.
func forge(t *testing.T, header, claims map[string]any, sign signFunc) string {
	t.Helper()
	in := encodeJSON(t, header) + "." + encodeJSON(t, claims)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(in))
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func encodeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func segment(t *testing.T, tok string, i int) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeSegment(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(segment(t, tok, i), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func newEd25519(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSet(t *testing.T, active ed25519.PrivateKey, retired ...ed25519.PublicKey) *keys.Set {
	t.Helper()
	s, err := keys.NewSet(active, retired...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
