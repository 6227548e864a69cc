package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/identity"
)

// scimTokenJSON describes a provisioning token; the token itself appears
// only in the answer that creates it.
type scimTokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Token      string     `json:"token,omitempty"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func toScimTokenJSON(t identity.ScimToken) scimTokenJSON {
	utc := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := p.UTC()
		return &v
	}
	return scimTokenJSON{ID: t.ID, Name: t.Name, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt.UTC(),
		LastUsedAt: utc(t.LastUsedAt), RevokedAt: utc(t.RevokedAt)}
}

func (s *Server) createScimToken(c *gin.Context) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	t, plain, err := s.Identity.CreateScimToken(c.Request.Context(), principal(c), in.Name)
	if err != nil {
		fail(c, err)
		return
	}
	out := toScimTokenJSON(t)
	out.Token = plain
	c.Header("Location", "/api/v1/admin/scim-tokens/"+t.ID)
	c.JSON(http.StatusCreated, out)
}

func (s *Server) listScimTokens(c *gin.Context) {
	ts, err := s.Identity.ListScimTokens(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(ts, "", toScimTokenJSON))
}

func (s *Server) revokeScimToken(c *gin.Context) {
	if err := s.Identity.RevokeScimToken(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
