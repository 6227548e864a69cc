package httpapi

import (
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

// principal returns the signed-in caller; guard has put it there on every
// non-public route.
func principal(c *gin.Context) identity.Principal {
	p, _ := c.Get(ctxPrincipal)
	pr, _ := p.(identity.Principal)
	return pr
}
