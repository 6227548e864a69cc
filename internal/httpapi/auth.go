package httpapi

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
)

const ctxPrincipal = "upskill.principal"

// guard enforces the route's access rule before its handler runs: public
// routes pass; others need a valid bearer token; role-restricted routes
// answer 403 to other roles. It also hands request metadata to the domain
// for audit events.
func (s *Server) guard(r Route) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := audit.WithMeta(c.Request.Context(), audit.Meta{RequestID: requestID(c), ClientIP: c.ClientIP()})
		c.Request = c.Request.WithContext(ctx)
		if r.Access.Public {
			c.Next()
			return
		}
		if r.Access.SCIM {
			s.guardSCIM(c)
			return
		}
		tok, ok := bearerToken(c)
		if !ok {
			fail(c, fault.New(fault.Unauthorized, "sign in first: send Authorization: Bearer <access token>"))
			return
		}
		p, err := s.Identity.Authenticate(ctx, tok)
		if err != nil {
			fail(c, err)
			return
		}
		c.Set(ctxPrincipal, p)
		c.Set(ctxUserID, p.UserID)
		if len(r.Access.Roles) > 0 && !p.HasAny(r.Access.Roles...) {
			fail(c, fault.New(fault.Forbidden, "your role may not use %s %s", r.Method, r.Path))
			return
		}
		c.Next()
	}
}

// guardSCIM lets a provisioning token through, answering anything else in
// SCIM's error format.
func (s *Server) guardSCIM(c *gin.Context) {
	tok, ok := bearerToken(c)
	if !ok {
		scimFail(c, fault.New(fault.Unauthorized, "send Authorization: Bearer <SCIM token>"))
		return
	}
	t, err := s.Identity.AuthenticateScim(c.Request.Context(), tok)
	if err != nil {
		scimFail(c, err)
		return
	}
	c.Set(ctxUserID, "scim:"+t.ID)
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), scimTokenKey{}, t.ID))
	c.Next()
}

// principal returns the signed-in caller; guard has put it there on every
// non-public route.
func principal(c *gin.Context) identity.Principal {
	p, _ := c.Get(ctxPrincipal)
	pr, _ := p.(identity.Principal)
	return pr
}
