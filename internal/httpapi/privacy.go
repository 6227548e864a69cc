package httpapi

import (
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/policies"
	"github.com/upskill/upskill/internal/privacy"
	"github.com/upskill/upskill/internal/reports"
)

// myExport streams everything upskill holds about the caller.
func (s *Server) myExport(c *gin.Context) {
	s.export(c, principal(c).UserID, true)
}

// userExport streams the same about anyone, for an admin; audited.
func (s *Server) userExport(c *gin.Context) {
	s.export(c, c.Param("id"), false)
}

// export checks everything before the first byte; a failure after it is
// logged and the connection cut, as the completions report does.
func (s *Server) export(c *gin.Context, userID string, bySelf bool) {
	format, err := privacy.ParseFormat(c.Query("format"))
	if err != nil {
		fail(c, err)
		return
	}
	started := false
	err = s.Privacy.Export(c.Request.Context(), principal(c).UserID, userID, bySelf, format, c.Writer, func() {
		started = true
		h := c.Writer.Header()
		h.Set("Content-Type", format.ContentType())
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": s.Privacy.FileName(format)}))
		h.Set("Cache-Control", "no-store")
		c.Writer.WriteHeader(http.StatusOK)
	})
	if err != nil && !started {
		fail(c, err)
		return
	}
	if err != nil {
		loggerFrom(c).ErrorContext(c.Request.Context(), "export failed part-way",
			slog.String("request_id", requestID(c)), slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
}

func (s *Server) eraseUser(c *gin.Context) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	out, err := s.Privacy.Erase(c.Request.Context(), principal(c), c.Param("id"), in.Reason)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"id": out.ID, "pseudonym": out.Pseudonym})
}

type policyJSON struct {
	Slug           string     `json:"slug"`
	Title          string     `json:"title"`
	Summary        string     `json:"summary"`
	Departments    []string   `json:"departments"`
	Version        int        `json:"version"`
	HTML           string     `json:"html"`
	ContentHash    string     `json:"content_hash"`
	PublishedAt    time.Time  `json:"published_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
}

func toPolicyJSON(p policies.Policy) policyJSON {
	return policyJSON{Slug: p.Slug, Title: p.Title, Summary: p.Summary, Departments: p.Departments, Version: p.Version,
		HTML: p.HTML, ContentHash: p.ContentHash, PublishedAt: p.PublishedAt, AcknowledgedAt: p.AcknowledgedAt}
}

func (s *Server) listPolicies(c *gin.Context) {
	ps, err := s.Policies.ForUser(c.Request.Context(), principal(c))
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]policyJSON, len(ps))
	for i, p := range ps {
		items[i] = toPolicyJSON(p)
	}
	c.JSON(http.StatusOK, list[policyJSON]{Items: items})
}

func (s *Server) getPolicy(c *gin.Context) {
	p, err := s.Policies.Get(c.Request.Context(), principal(c), c.Param("slug"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toPolicyJSON(p))
}

// publishPolicy takes the body of a module upload with one file,
// policy.md.
func (s *Server) publishPolicy(c *gin.Context) {
	slug, files, probs, ok := readUpload(c, c.Param("slug"))
	if !ok {
		return
	}
	if len(probs) > 0 {
		fail(c, catalog.InvalidContent(slug, probs))
		return
	}
	res, err := s.Policies.PublishUpload(c.Request.Context(), slug, files, principal(c).UserID)
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
		c.Header("Location", "/api/v1/policies/"+res.Slug)
	}
	c.JSON(status, gin.H{"slug": res.Slug, "version": res.Version, "content_hash": res.Hash, "created": res.Created})
}

func (s *Server) acknowledgePolicy(c *gin.Context) {
	var in struct {
		Version int `json:"version"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	a, err := s.Policies.Acknowledge(c.Request.Context(), principal(c), c.Param("slug"), in.Version)
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusCreated
	if !a.Created {
		status = http.StatusOK
	}
	c.JSON(status, gin.H{"policy": a.Policy, "version": a.Version, "acknowledged_at": a.AcknowledgedAt})
}

func (s *Server) policiesReport(c *gin.Context) {
	format := reports.Format(c.Query("format"))
	switch format {
	case "":
		format = reports.CSV
	case reports.CSV, reports.JSON, reports.XLSX:
	default:
		fail(c, fault.BadField("unknown report format", "format", "one of csv, json, xlsx"))
		return
	}
	started := false
	name := "policies-" + time.Now().UTC().Format("2006-01-02") + "." + string(format)
	err := s.Policies.Report(c.Request.Context(), principal(c).UserID,
		policies.ReportFilter{Policy: c.Query("policy"), Department: c.Query("department")}, format, c.Writer, func() {
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
		loggerFrom(c).ErrorContext(c.Request.Context(), "policies report failed part-way",
			slog.String("request_id", requestID(c)), slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
}
