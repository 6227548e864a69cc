package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/api"
	"github.com/upskill/upskill/internal/fault"
)

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, statusJSON{Status: "ok"})
}

func (s *Server) readyz(c *gin.Context) {
	if err := s.DB.Ping(c.Request.Context()); err != nil {
		fail(c, &fault.Error{Code: fault.Unavailable, Message: "the database does not answer", Err: err})
		return
	}
	c.JSON(http.StatusOK, statusJSON{Status: "ready"})
}

func (s *Server) openapi(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/yaml", api.OpenAPI)
}
