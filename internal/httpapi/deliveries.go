package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/outbox"
)

func (s *Server) listDeliveries(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		fail(c, err)
		return
	}
	st, err := outbox.ParseStatus(c.Query("status"))
	if err != nil {
		fail(c, err)
		return
	}
	items, next, err := outbox.List(c.Request.Context(), s.DB, outbox.Filter{Status: st, Target: c.Query("target")}, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list[outbox.Delivery]{Items: items, NextCursor: next})
}

func (s *Server) retryDelivery(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		fail(c, fault.New(fault.NotFound, "no delivery %q", c.Param("id")))
		return
	}
	giveUp := s.opt.OutboxGiveUp
	if giveUp <= 0 {
		giveUp = 48 * time.Hour
	}
	d, err := outbox.Retry(c.Request.Context(), s.DB, time.Now(), giveUp, principal(c).UserID, id)
	if err != nil {
		fail(c, err)
		return
	}
	if s.Outbox != nil {
		s.Outbox.Wake()
	}
	c.JSON(http.StatusOK, d)
}
