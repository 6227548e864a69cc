package httpapi

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// A forged or altered credential is refused by POST /records/verify.
func TestVerifyRefusesForgedAndAlteredCredentials(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fair-ai", "Fair AI")
	c, _ := e.as(identity.RoleLearner)
	finishLessons(t, c, "fair-ai")
	a := openAttempt(t, c, "fair-ai")
	var res resultBody
	c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK).Decode(t, &res)
	cred := res.Completion.Credential

	parts := strings.Split(cred, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	claims["holder_name"] = "Mallory"
	altered, _ := json.Marshal(claims)
	alteredCred := parts[0] + "." + base64.RawURLEncoding.EncodeToString(altered) + "." + parts[2]
	_, forger, _ := ed25519.GenerateKey(nil)
	in := parts[0] + "." + base64.RawURLEncoding.EncodeToString(altered)
	forgedCred := in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(forger, []byte(in)))
	noneCred := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."

	jwks := e.c.Get("/.well-known/jwks.json").Want(t, http.StatusOK).Body
	for name, bad := range map[string]string{"altered": alteredCred, "forged": forgedCred, "alg none": noneCred, "garbage": "abc"} {
		if _, err := verifyOffline(jwks, bad); err == nil {
			t.Errorf("%s passes the offline check", name)
		}
		var v verifyBody
		e.c.Post("/api/v1/records/verify", map[string]any{"credential": bad}).Want(t, http.StatusOK).Decode(t, &v)
		if v.Valid || v.Status != "invalid" || v.Record != nil {
			t.Errorf("%s: %+v", name, v)
		}
	}
	e.c.Post("/api/v1/records/verify", map[string]any{"credential": ""}).Want(t, http.StatusUnprocessableEntity)
}

// verifyOffline is what an auditor writes with the JWKS document and the
// standard library: the header names EdDSA and a kid that is the RFC 7638
// thumbprint of a published key, and that key's signature checks out.
func verifyOffline(jwksJSON []byte, credential string) (map[string]any, error) {
	parts := strings.Split(credential, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	var header struct{ Alg, Kid, Typ string }
	if err := decodeSegment(parts[0], &header); err != nil {
		return nil, err
	}
	if header.Alg != "EdDSA" || header.Typ != "JWT" {
		return nil, fmt.Errorf("header %+v", header)
	}
	var set struct {
		Keys []struct{ Kty, Crv, X, Kid string }
	}
	if err := json.Unmarshal(jwksJSON, &set); err != nil {
		return nil, err
	}
	for _, k := range set.Keys {
		sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + k.X + `"}`))
		if k.Kid != header.Kid || base64.RawURLEncoding.EncodeToString(sum[:]) != k.Kid {
			continue
		}
		pub, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return nil, errors.New("bad key")
		}
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil || !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
			return nil, errors.New("signature does not verify")
		}
		var claims map[string]any
		return claims, decodeSegment(parts[1], &claims)
	}
	return nil, errors.New("no published key has that kid")
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Crafted ids, cursors and text (NUL bytes, invalid UTF-8, which
// PostgreSQL refuses in text) are client errors, never 500s.
func TestLearningRoutesRefuseHostileInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		publishCourse(t, e, "fair-ai", "Fair AI")
		c, _ := e.as(identity.RoleLearner)
		adminC, _ := e.as(identity.RoleAdmin)
		nul := base64.RawURLEncoding.EncodeToString([]byte("\x00"))
		for _, path := range []string{"/api/v1/records/%00", "/api/v1/records/%ff/verify", "/api/v1/records/%00/certificate.pdf",
			"/api/v1/me/enrollments?cursor=" + nul, "/api/v1/me/records?cursor=" + nul,
			"/api/v1/me/records?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("2026-01-01T00:00:00Z|\xff")),
			"/api/v1/modules/%00/progress"} {
			if res := c.Get(path); res.Status >= 500 || res.Status < 400 {
				t.Errorf("GET %s: %d %s", path, res.Status, res.Body)
			}
		}
		for _, r := range []struct {
			client *apitest.Client
			path   string
			body   any
		}{
			{c, "/api/v1/attempts/%00/submit", map[string]any{"answers": map[string]any{}}},
			{c, "/api/v1/modules/fair-ai/feedback", map[string]any{"rating": 3, "comment": "a\x00b"}},
			{adminC, "/api/v1/records/%ff/revoke", map[string]any{"reason": "x"}},
			{c, "/api/v1/records/verify", map[string]any{"credential": "a\x00.b.c"}},
		} {
			if res := r.client.Post(r.path, r.body); res.Status >= 500 {
				t.Errorf("POST %s: %d %s", r.path, res.Status, res.Body)
			}
		}
	})
}

// Scanning the certificate's QR code with a phone opens the verify URL in
// a browser: it gets a page with the same verdict, names escaped; API
// clients keep getting JSON.
func TestVerifyPageForBrowsers(t *testing.T) {
	e := newTestEnv(t)
	publishCourse(t, e, "fair-ai", "Fair AI")
	adminC, _ := e.as(identity.RoleAdmin)
	learner := e.user()
	adminC.Patch("/api/v1/users/"+learner.ID, map[string]any{"name": "Zoë <b>Bold</b>"}).Want(t, http.StatusOK)
	c := e.c.As(e.token(learner))
	finishLessons(t, c, "fair-ai")
	a := openAttempt(t, c, "fair-ai")
	var res resultBody
	c.Post("/api/v1/attempts/"+a.ID+"/submit", a.answersFor(true)).Want(t, http.StatusOK).Decode(t, &res)
	url := "/api/v1/records/" + res.Completion.ID + "/verify"

	browser := apitest.Header("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	page := e.c.Get(url, browser).Want(t, http.StatusOK)
	body := string(page.Body)
	if !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "Valid: this completion record is genuine") ||
		!strings.Contains(body, "Zoë &lt;b&gt;Bold&lt;/b&gt;") || strings.Contains(body, "<b>Bold") || !strings.Contains(body, "Fair AI") {
		t.Fatalf("page:\n%s", body)
	}
	for _, accept := range []string{"", "application/json", "*/*"} {
		var v verifyBody
		res := e.c.Get(url, apitest.Header("Accept", accept)).Want(t, http.StatusOK)
		res.Decode(t, &v)
		if !v.Valid {
			t.Fatalf("Accept %q: %s", accept, res.Body)
		}
	}
	adminC.Post("/api/v1/records/"+res.Completion.ID+"/revoke", map[string]any{"reason": "issued in error"}).Want(t, http.StatusOK)
	if body := string(e.c.Get(url, browser).Want(t, http.StatusOK).Body); !strings.Contains(body, "Revoked") {
		t.Fatalf("revoked page:\n%s", body)
	}
}
