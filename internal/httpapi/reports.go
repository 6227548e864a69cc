package httpapi

import (
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/reports"
)

// completionsReport streams the report. Everything a client can get wrong
// is checked, and the query started, before the first byte: after it, a
// failure can no longer become a problem response, so it is logged and the
// connection is cut (http.ErrAbortHandler), so the client sees a broken
// download rather than a complete-looking short one.
func (s *Server) completionsReport(c *gin.Context) {
	// A replica may lag behind a publish on another one by the catalog's
	// refresh interval; a report should know every module.
	if err := s.refreshCatalog(c); err != nil {
		fail(c, err)
		return
	}
	// A repeated status (status=a&status=b) means any of them, as "a,b" does.
	q, format, err := s.Reports.ParseParams(reports.Params{Format: c.Query("format"), Department: c.Query("department"),
		Module: c.Query("module"), Status: strings.Join(c.QueryArray("status"), ","), From: c.Query("from"), To: c.Query("to"),
		Limit: c.Query("limit"), Cursor: c.Query("cursor")})
	if err != nil {
		fail(c, err)
		return
	}
	started := false
	name := s.Reports.FileName(format)
	n, err := s.Reports.ExportCompletions(c.Request.Context(), principal(c).UserID, q, format, c.Writer, func() {
		started = true
		h := c.Writer.Header()
		h.Set("Content-Type", format.ContentType())
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		c.Writer.WriteHeader(http.StatusOK)
	})
	if err != nil && !started {
		fail(c, err)
		return
	}
	if err != nil {
		loggerFrom(c).ErrorContext(c.Request.Context(), "completions report failed part-way",
			slog.String("request_id", requestID(c)), slog.Int("rows_written", n), slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
}

type summaryGroupJSON struct {
	Key            string   `json:"key"`
	Assigned       int      `json:"assigned"`
	Started        int      `json:"started"`
	Completed      int      `json:"completed"`
	CompletionRate float64  `json:"completion_rate"`
	AverageScore   *float64 `json:"average_score"`
	Overdue        int      `json:"overdue"`
	LearningHours  float64  `json:"learning_hours"`
}

func (s *Server) summaryReport(c *gin.Context) {
	by, err := reports.ParseGroupBy(c.Query("group_by"))
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.refreshCatalog(c); err != nil {
		fail(c, err)
		return
	}
	groups, err := s.Reports.Summary(c.Request.Context(), principal(c).UserID, by)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]summaryGroupJSON, 0, len(groups))
	for _, g := range groups {
		out = append(out, summaryGroupJSON{Key: g.Key, Assigned: g.Assigned, Started: g.Started, Completed: g.Completed,
			CompletionRate: g.CompletionRate, AverageScore: g.AverageScore, Overdue: g.Overdue, LearningHours: g.LearningHours})
	}
	c.JSON(http.StatusOK, summaryJSON{Groups: out})
}

// refreshCatalog brings this replica's catalog up to date (one small query
// when nothing changed).
func (s *Server) refreshCatalog(c *gin.Context) error {
	if s.Catalog == nil {
		return nil
	}
	return s.Catalog.Refresh(c.Request.Context())
}
