package records_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/records"
)

// offlineVerify is what an auditor would write with nothing but the JWKS
// document: the standard library, no JWT package and none of our code. It
// returns the payload when the signature over "header.payload" checks out
// with the published key the header's kid names.
func offlineVerify(jwksJSON []byte, credential string) (map[string]any, error) {
	parts := strings.Split(credential, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	var header struct{ Alg, Kid string }
	if err := decodeJSON(parts[0], &header); err != nil {
		return nil, err
	}
	if header.Alg != "EdDSA" {
		return nil, errors.New("alg is not EdDSA")
	}
	var jwks struct {
		Keys []struct{ Kty, Crv, X, Kid string }
	}
	if err := json.Unmarshal(jwksJSON, &jwks); err != nil {
		return nil, err
	}
	for _, k := range jwks.Keys {
		if k.Kid != header.Kid || k.Kty != "OKP" || k.Crv != "Ed25519" {
			continue
		}
		pub, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return nil, errors.New("bad x in JWK")
		}
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			return nil, err
		}
		if !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
			return nil, errors.New("signature does not verify")
		}
		var payload map[string]any
		return payload, decodeJSON(parts[1], &payload)
	}
	return nil, errors.New("no published key with that kid")
}

func decodeJSON(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func TestCredentialVerifiesOfflineWithJWKS(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	_, retired, _ := ed25519.GenerateKey(rand.Reader)
	set, err := keys.NewSet(key, retired.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	// Exactly what GET /.well-known/jwks.json serves.
	jwksJSON, err := json.Marshal(map[string]any{"keys": set.JWKS()})
	if err != nil {
		t.Fatal(err)
	}

	const issuer = "https://upskill.example.com"
	issued := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	cred, err := (&records.Signer{Keys: set, Issuer: issuer}).Sign(records.Claims{
		Module: "ai-and-privacy", ModuleTitle: "Customer data and AI", Revision: 2,
		ContentHash: "abc123", HolderName: "Дмитрий",
		RegisteredClaims: jwt.RegisteredClaims{Subject: "u1", ID: "r1", IssuedAt: jwt.NewNumericDate(issued)},
	})
	if err != nil {
		t.Fatal(err)
	}

	payload, err := offlineVerify(jwksJSON, cred)
	if err != nil {
		t.Fatalf("genuine credential fails offline: %v", err)
	}
	if payload["holder_name"] != "Дмитрий" || payload["jti"] != "r1" || payload["iss"] != issuer {
		t.Fatalf("payload = %v", payload)
	}

	parts := strings.Split(cred, ".")
	var claims map[string]any
	if err := decodeJSON(parts[1], &claims); err != nil {
		t.Fatal(err)
	}
	claims["holder_name"] = "Mallory"
	altered, _ := json.Marshal(claims)
	alteredCred := parts[0] + "." + base64.RawURLEncoding.EncodeToString(altered) + "." + parts[2]

	// Forged: the same header (so the same kid) and the altered payload,
	// signed with a key that is not published.
	_, forger, _ := ed25519.GenerateKey(rand.Reader)
	in := parts[0] + "." + base64.RawURLEncoding.EncodeToString(altered)
	forgedCred := in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(forger, []byte(in)))

	for name, bad := range map[string]string{"altered": alteredCred, "forged": forgedCred} {
		if _, err := offlineVerify(jwksJSON, bad); err == nil {
			t.Errorf("%s credential passes the offline check", name)
		}
		if _, err := records.VerifyAt(bad, set, issuer, issued); !errors.Is(err, records.ErrInvalidCredential) {
			t.Errorf("%s credential: Verify = %v", name, err)
		}
	}
}
