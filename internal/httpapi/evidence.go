package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/evidence"
)

// webhooksJSON lists the webhook endpoints (never their secrets).
type webhooksJSON struct {
	Items []evidence.Webhook `json:"items"`
}

// Evidence out: webhooks administration, the Open Badges issuer,
// achievements, credentials and their revocation lists.

func (s *Server) createWebhook(c *gin.Context) {
	var in struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	w, err := s.Evidence.CreateWebhook(c.Request.Context(), principal(c).UserID, in.URL, in.Events)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store") // the secret is in it
	c.JSON(http.StatusCreated, w)
}

func (s *Server) listWebhooks(c *gin.Context) {
	items, err := s.Evidence.ListWebhooks(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, webhooksJSON{Items: items})
}

func (s *Server) deleteWebhook(c *gin.Context) {
	if err := s.Evidence.DeleteWebhook(c.Request.Context(), principal(c).UserID, c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) rotateWebhookSecret(c *gin.Context) {
	w, err := s.Evidence.RotateSecret(c.Request.Context(), principal(c).UserID, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, w)
}

func (s *Server) issuerProfile(c *gin.Context) {
	p, err := s.Evidence.Issuer()
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, p)
}

func (s *Server) getAchievement(c *gin.Context) {
	a, err := s.Evidence.AchievementOf(c.Param("slug"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, a)
}

// getBadge answers the record as a signed OpenBadgeCredential (VC-JWT);
// a client asking for JSON gets the credential itself.
func (s *Server) getBadge(c *gin.Context) {
	r, err := s.Learning.GetRecord(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	cred, signed, err := s.Evidence.Badge(c.Request.Context(), r)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-cache")
	c.Header("Vary", "Accept")
	if c.GetHeader("Accept") != "" && c.NegotiateFormat(evidence.MediaTypeVCJWT, gin.MIMEJSON) == gin.MIMEJSON {
		c.JSON(http.StatusOK, cred)
		return
	}
	c.Data(http.StatusOK, evidence.MediaTypeVCJWT, []byte(signed))
}

func (s *Server) recordStatus(c *gin.Context) {
	st, err := s.Evidence.Status(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store") // revocation must show at once
	c.JSON(http.StatusOK, st)
}
