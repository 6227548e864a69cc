package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
)

// Browser sessions: a sign-in with "session":"cookie" keeps the refresh
// token out of the page's reach, in an HttpOnly cookie scoped to the auth
// routes. SameSite=Strict and the JSON body that decodeJSON demands (a
// cross-site form cannot send Content-Type: application/json) keep other
// sites from spending it.
const (
	refreshCookie     = "upskill_refresh"
	refreshCookiePath = "/api/v1/auth"
	sessionCookie     = "cookie"
)

// checkSessionMode accepts the login body's "session" field: empty (the
// refresh token in the body) or "cookie".
func checkSessionMode(mode string) error {
	if mode == "" || mode == sessionCookie {
		return nil
	}
	return fault.InvalidFields(`session must be "cookie" or left out`,
		fault.FieldError{Field: "session", Message: `must be "cookie" or left out`})
}

// refreshTokenOf is the token a refresh or logout call presents: the body's
// when it has one, else the cookie's. cookie reports which was used.
func refreshTokenOf(c *gin.Context, body string) (token string, cookie bool) {
	if body != "" {
		return body, false
	}
	v, err := c.Cookie(refreshCookie)
	if err != nil {
		return "", true
	}
	return v, true
}

// respondSession answers a sign-in or refresh: with cookie, the refresh
// token goes into the cookie and stays out of the body.
func (s *Server) respondSession(c *gin.Context, sess identity.Session, cookie bool) {
	if !cookie {
		c.JSON(http.StatusOK, sessionJSON(sess))
		return
	}
	s.setRefreshCookie(c, sess.RefreshToken, s.refreshTTL())
	body := sessionJSON(sess)
	delete(body, "refresh_token")
	c.JSON(http.StatusOK, body)
}

func (s *Server) refreshTTL() time.Duration {
	if s.opt.RefreshTTL > 0 {
		return s.opt.RefreshTTL
	}
	return 30 * 24 * time.Hour
}

// setRefreshCookie sets (maxAge > 0) or clears (maxAge <= 0) the cookie.
func (s *Server) setRefreshCookie(c *gin.Context, value string, maxAge time.Duration) {
	ck := &http.Cookie{
		Name: refreshCookie, Value: value, Path: refreshCookiePath,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: strings.HasPrefix(s.opt.BaseURL, "https://"),
		MaxAge: int(maxAge / time.Second),
	}
	if maxAge <= 0 {
		ck.Value, ck.MaxAge = "", -1
	}
	http.SetCookie(c.Writer, ck)
}

// authProviders tells a sign-in page what to offer: passwords unless
// they are turned off (the break-glass admin still has one), and single
// sign-on when an issuer is configured.
func (s *Server) authProviders(c *gin.Context) {
	var oidcJSON *providerJSON
	if s.oidc != nil {
		oidcJSON = &providerJSON{Name: s.oidc.opt.Name, LoginURL: "/api/v1/auth/oidc/login"}
	}
	c.JSON(http.StatusOK, providersJSON{Password: !s.Identity.Passwords.Off, OIDC: oidcJSON})
}

type providerJSON struct {
	Name     string `json:"name"`
	LoginURL string `json:"login_url"`
}

type providersJSON struct {
	Password bool          `json:"password"`
	OIDC     *providerJSON `json:"oidc"`
}
