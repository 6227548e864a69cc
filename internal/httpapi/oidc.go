package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
)

// OIDCOptions configure single sign-on with an OpenID Provider. An empty
// Issuer turns it off.
type OIDCOptions struct {
	Issuer, ClientID, ClientSecret string
	// Name labels the sign-in button.
	Name string
	// DepartmentClaim names the ID token claim with a new person's
	// department; "" takes none.
	DepartmentClaim string
	// EmailDomains are where a first sign-in may link to an existing
	// account by verified email (never an admin's).
	EmailDomains []string
	// TrustEmail counts a missing email_verified claim as true.
	TrustEmail bool
	// HTTPClient talks to the provider (nil: http.DefaultClient).
	HTTPClient *http.Client
}

// The login state travels in a signed cookie scoped to the two OIDC
// routes: SameSite=Lax so the provider's top-level redirect back brings
// it, HttpOnly, 10 minutes, deleted at the callback.
const (
	oidcStateCookie = "upskill_oidc"
	oidcCookiePath  = "/api/v1/auth/oidc"
	oidcStateTTL    = 10 * time.Minute
	oidcCallback    = "/api/v1/auth/oidc/callback"
)

// loginState is what the state cookie carries between the two legs.
type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Redirect string `json:"r"`
	Expires  int64  `json:"e"`
}

// oidcClient is the relying party: discovery happens at the first sign-in
// and is kept once it succeeds (go-oidc caches and refreshes the keys).
type oidcClient struct {
	opt     OIDCOptions
	baseURL string
	key     []byte // signs the state cookie

	mu       sync.Mutex
	provider *oidc.Provider
}

func newOIDCClient(opt OIDCOptions, baseURL string) *oidcClient {
	if opt.Issuer == "" {
		return nil
	}
	// Every replica holds the client secret, so each can check a cookie
	// another signed.
	mac := hmac.New(sha256.New, []byte("upskill oidc login state"))
	mac.Write([]byte(opt.ClientID + "\x00" + opt.ClientSecret + "\x00" + opt.Issuer))
	return &oidcClient{opt: opt, baseURL: baseURL, key: mac.Sum(nil)}
}

func (o *oidcClient) ctx(ctx context.Context) context.Context {
	if o.opt.HTTPClient != nil {
		return oidc.ClientContext(ctx, o.opt.HTTPClient)
	}
	return ctx
}

func (o *oidcClient) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(o.ctx(ctx), o.opt.Issuer)
	if err != nil {
		return nil, &fault.Error{Code: fault.Unavailable, Err: err,
			Message: "the identity provider cannot be reached; try again later"}
	}
	o.provider = p
	return p, nil
}

func (o *oidcClient) config(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: o.opt.ClientID, ClientSecret: o.opt.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.baseURL + oidcCallback, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

func (o *oidcClient) seal(st loginState) string {
	payload, _ := json.Marshal(st)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(o.sign(p))
}

func (o *oidcClient) sign(p string) []byte {
	mac := hmac.New(sha256.New, o.key)
	mac.Write([]byte(p))
	return mac.Sum(nil)
}

var errLoginState = fault.Typed(fault.BadRequest, "sso-state",
	"the sign-in could not be matched to one this browser started (missing, expired or altered state); start the sign-in again")

func (o *oidcClient) open(v string, now time.Time) (loginState, error) {
	p, sig, ok := strings.Cut(v, ".")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(got, o.sign(p)) {
		return loginState{}, errLoginState
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	var st loginState
	if err != nil || json.Unmarshal(raw, &st) != nil || now.Unix() > st.Expires {
		return loginState{}, errLoginState
	}
	return st, nil
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// safeRedirect accepts a same-origin path only: it must start with one
// slash, and name no scheme or host however a browser might read it
// ("//evil", "/\evil", encoded tricks).
func safeRedirect(raw string) (string, error) {
	if raw == "" {
		return "/", nil
	}
	bad := fault.BadField("redirect must be a path on this site, such as /modules", "redirect", "must be a same-origin path starting with /")
	if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\\r\n\t") || len(raw) > 2000 {
		return "", bad
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "", bad
	}
	return raw, nil
}

func (s *Server) setOIDCCookie(c *gin.Context, value string, maxAge time.Duration) {
	ck := &http.Cookie{Name: oidcStateCookie, Value: value, Path: oidcCookiePath, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(s.opt.BaseURL, "https://"),
		MaxAge: int(maxAge / time.Second)}
	if maxAge <= 0 {
		ck.Value, ck.MaxAge = "", -1
	}
	http.SetCookie(c.Writer, ck)
}

var errNoSSO = fault.New(fault.NotFound, "single sign-on is not configured (UPSKILL_OIDC_ISSUER)")

// oidcLogin starts the authorization code flow with PKCE, state and nonce.
func (s *Server) oidcLogin(c *gin.Context) {
	if s.oidc == nil {
		fail(c, errNoSSO)
		return
	}
	redirect, err := safeRedirect(c.Query("redirect"))
	if err != nil {
		fail(c, err)
		return
	}
	p, err := s.oidc.discover(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	st := loginState{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(),
		Redirect: redirect, Expires: time.Now().Add(oidcStateTTL).Unix()}
	s.setOIDCCookie(c, s.oidc.seal(st), oidcStateTTL)
	target := s.oidc.config(p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	c.Redirect(http.StatusFound, target)
}

// oidcCallbackHandler finishes the flow: the state must match the cookie,
// the code must redeem (with the PKCE verifier), the ID token must verify
// (signature, issuer, audience, expiry) and carry the nonce. Then the
// person is found, linked or created, and signed in with the browser
// refresh cookie.
func (s *Server) oidcCallbackHandler(c *gin.Context) {
	if s.oidc == nil {
		fail(c, errNoSSO)
		return
	}
	raw, cookieErr := c.Cookie(oidcStateCookie)
	s.setOIDCCookie(c, "", 0) // one use, whatever happens next
	if cookieErr != nil {
		fail(c, errLoginState)
		return
	}
	st, err := s.oidc.open(raw, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(c.Query("state")), []byte(st.State)) != 1 {
		fail(c, errLoginState)
		return
	}
	if e := c.Query("error"); e != "" {
		fail(c, fault.New(fault.Unauthorized, "the identity provider refused the sign-in: %s %s", e, c.Query("error_description")))
		return
	}
	id, err := s.oidcIdentity(c.Request.Context(), c.Query("code"), st)
	if err != nil {
		fail(c, err)
		return
	}
	sess, err := s.Identity.SignInExternal(c.Request.Context(), id, identity.SSOOptions{EmailDomains: s.opt.OIDC.EmailDomains})
	if err != nil {
		fail(c, err)
		return
	}
	s.setRefreshCookie(c, sess.RefreshToken, s.refreshTTL())
	c.Redirect(http.StatusFound, st.Redirect)
}

var errIDToken = fault.Typed(fault.Unauthorized, "sso-refused", "the identity provider's answer could not be verified; start the sign-in again")

// oidcIdentity redeems the code and checks the ID token.
func (s *Server) oidcIdentity(ctx context.Context, code string, st loginState) (identity.ExternalIdentity, error) {
	p, err := s.oidc.discover(ctx)
	if err != nil {
		return identity.ExternalIdentity{}, err
	}
	if code == "" {
		return identity.ExternalIdentity{}, errIDToken
	}
	tok, err := s.oidc.config(p).Exchange(s.oidc.ctx(ctx), code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return identity.ExternalIdentity{}, &fault.Error{Code: fault.Unauthorized, Type: "sso-refused", Err: err,
			Message: "the identity provider did not accept the sign-in code (used already, or expired); start the sign-in again"}
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return identity.ExternalIdentity{}, errIDToken
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.oidc.opt.ClientID}).Verify(s.oidc.ctx(ctx), rawID)
	if err != nil {
		return identity.ExternalIdentity{}, &fault.Error{Code: fault.Unauthorized, Type: "sso-refused", Err: err,
			Message: "the ID token was refused: " + err.Error()}
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return identity.ExternalIdentity{}, fault.Typed(fault.Unauthorized, "sso-refused", "the ID token's nonce does not match this sign-in")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return identity.ExternalIdentity{}, errIDToken
	}
	str := func(k string) string { v, _ := claims[k].(string); return v }
	verified := s.oidc.opt.TrustEmail
	if v, ok := claims["email_verified"].(bool); ok {
		verified = v
	}
	out := identity.ExternalIdentity{Issuer: idt.Issuer, Subject: idt.Subject, Email: str("email"),
		EmailVerified: verified, Name: str("name")}
	if k := s.oidc.opt.DepartmentClaim; k != "" {
		out.Department = str(k)
	}
	return out, nil
}
