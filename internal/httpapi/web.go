package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/fault"
)

// webApp answers GET / with the browser app; a server built without one
// says where the API is.
func (s *Server) webApp(c *gin.Context) {
	if s.opt.Web != nil && s.opt.Web.Serve(c.Writer, c.Request) {
		return
	}
	fail(c, fault.New(fault.NotFound, "this server has no web app; the API is at /api/v1"))
}
