package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/fault"
)

// moduleSummaryJSON is one catalog entry.
type moduleSummaryJSON struct {
	Slug        string   `json:"slug"`
	Title       string   `json:"title"`
	Summary     string   `json:"summary"`
	Topics      []string `json:"topics"`
	Level       string   `json:"level"`
	Minutes     int      `json:"minutes"`
	Revision    int      `json:"revision"`
	LessonCount int      `json:"lesson_count"`
	HasQuiz     bool     `json:"has_quiz"`
	Archived    bool     `json:"archived"`
}

type lessonRefJSON struct {
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	Minutes int    `json:"minutes"`
}

type quizInfoJSON struct {
	QuestionCount int `json:"question_count"`
	PassMark      int `json:"pass_mark"`
	MaxAttempts   int `json:"max_attempts"`
}

// moduleJSON is a module's page: the summary plus what a learner sees
// before starting.
type moduleJSON struct {
	moduleSummaryJSON
	OverviewHTML  string          `json:"overview_html"`
	Lessons       []lessonRefJSON `json:"lessons"`
	Quiz          *quizInfoJSON   `json:"quiz"`
	Prerequisites []string        `json:"prerequisites"`
	ContentHash   string          `json:"content_hash"`
	ValidForDays  *int            `json:"valid_for_days"`
	PublishedAt   time.Time       `json:"published_at"`
}

// moduleAuthorJSON is a module's page as trainers and admins see it: with
// who answers for it and whether its facts are due for review.
type moduleAuthorJSON struct {
	moduleJSON
	ReviewBy      *string `json:"review_by"`
	Owner         *string `json:"owner"`
	ReviewOverdue bool    `json:"review_overdue"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// authors may see archived modules and the review fields.
func authors(c *gin.Context) bool { return principal(c).HasAny(trainer, admin) }

// moduleFor returns the module slug as the caller may see it: trainers and
// admins see archived modules too.
func (s *Server) moduleFor(c *gin.Context, slug string) (*catalog.Published, error) {
	if authors(c) {
		return s.Catalog.Lookup(slug)
	}
	return s.Catalog.Module(slug)
}

type lessonJSON struct {
	Slug     string  `json:"slug"`
	Title    string  `json:"title"`
	HTML     string  `json:"html"`
	Minutes  int     `json:"minutes"`
	Previous *string `json:"previous"`
	Next     *string `json:"next"`
}

func toModuleSummary(p *catalog.Published) moduleSummaryJSON {
	return moduleSummaryJSON{Slug: p.Slug, Title: p.Title, Summary: p.Summary, Topics: nonNil(p.Topics),
		Level: p.Level, Minutes: p.Minutes, Revision: p.Revision, LessonCount: len(p.Lessons), HasQuiz: p.Quiz != nil,
		Archived: p.Archived}
}

func toModuleJSON(p *catalog.Published) moduleJSON {
	out := moduleJSON{moduleSummaryJSON: toModuleSummary(p), OverviewHTML: p.OverviewHTML,
		Lessons: make([]lessonRefJSON, len(p.Lessons)), Prerequisites: nonNil(p.Prerequisites),
		ContentHash: p.Hash, PublishedAt: p.PublishedAt.UTC()}
	for i, l := range p.Lessons {
		out.Lessons[i] = lessonRefJSON{Slug: l.Slug, Title: l.Title, Minutes: l.Minutes}
	}
	if q := p.Quiz; q != nil {
		out.Quiz = &quizInfoJSON{QuestionCount: q.Asked(), PassMark: p.PassMark, MaxAttempts: p.MaxAttempts}
	}
	if p.ValidForDays > 0 {
		out.ValidForDays = &p.ValidForDays
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) listModules(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		fail(c, err)
		return
	}
	f := catalog.Filter{Topic: c.Query("topic"), Query: c.Query("q")}
	archived, err := boolParam(c, "include_archived")
	if err != nil {
		fail(c, err)
		return
	}
	f.IncludeArchived = archived != nil && *archived
	if f.IncludeArchived && !authors(c) {
		fail(c, fault.New(fault.Forbidden, "only trainers and admins may list archived modules"))
		return
	}
	mods, next, err := s.Catalog.List(f, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(mods, next, toModuleSummary))
}

func (s *Server) getModule(c *gin.Context) {
	m, err := s.moduleFor(c, c.Param("slug"))
	if err != nil {
		fail(c, err)
		return
	}
	if !authors(c) {
		if notModified(c, revisionETag(m)) {
			return
		}
		c.JSON(http.StatusOK, toModuleJSON(m))
		return
	}
	// review_overdue and archived change without a new revision.
	overdue := s.Catalog.ReviewOverdue(m)
	if notModified(c, strings.TrimSuffix(revisionETag(m), `"`)+"-a"+strconv.FormatBool(m.Archived)+strconv.FormatBool(overdue)+`"`) {
		return
	}
	c.JSON(http.StatusOK, moduleAuthorJSON{moduleJSON: toModuleJSON(m), ReviewBy: optional(m.ReviewBy),
		Owner: optional(m.Owner), ReviewOverdue: overdue})
}

// archiveModule and unarchiveModule take a module out of the catalogue and
// put it back.
func (s *Server) archiveModule(c *gin.Context)   { s.setArchived(c, true) }
func (s *Server) unarchiveModule(c *gin.Context) { s.setArchived(c, false) }

func (s *Server) setArchived(c *gin.Context, archived bool) {
	p, err := s.Catalog.SetArchived(c.Request.Context(), c.Param("slug"), archived, principal(c).UserID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toModuleSummary(p))
}

func (s *Server) getLesson(c *gin.Context) {
	m, err := s.moduleFor(c, c.Param("slug"))
	if err != nil {
		fail(c, err)
		return
	}
	slug := c.Param("lesson")
	for i, l := range m.Lessons {
		if l.Slug != slug {
			continue
		}
		if notModified(c, revisionETag(m)) {
			return
		}
		out := lessonJSON{Slug: l.Slug, Title: l.Title, HTML: l.HTML, Minutes: l.Minutes}
		if i > 0 {
			out.Previous = &m.Lessons[i-1].Slug
		}
		if i+1 < len(m.Lessons) {
			out.Next = &m.Lessons[i+1].Slug
		}
		c.JSON(http.StatusOK, out)
		return
	}
	fail(c, fault.New(fault.NotFound, "module %q has no lesson %q", m.Slug, slug))
}

// moduleAsset serves a lesson image without a token: <img> tags send none.
// The renderer versions asset URLs with the content hash (?v=), so such a
// URL may be cached for good.
func (s *Server) moduleAsset(c *gin.Context) {
	slug, file := c.Param("slug"), c.Param("file")
	a, exact, err := s.Catalog.Asset(c.Request.Context(), slug, file, c.Query("v"))
	if err != nil {
		fail(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if exact {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	c.Data(http.StatusOK, a.ContentType, a.Data)
}

// revisionETag names what a module's pages are rendered from: its content
// and its revision number (a revision can restore an older content).
func revisionETag(p *catalog.Published) string {
	return `"` + p.Hash + "-" + strconv.Itoa(p.Revision) + `"`
}

// notModified sets the validators of a private, revalidated response and
// answers 304 when the client's If-None-Match already names etag.
func notModified(c *gin.Context, etag string) bool {
	c.Header("ETag", etag)
	c.Header("Cache-Control", "private, no-cache")
	for _, t := range strings.Split(c.GetHeader("If-None-Match"), ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			c.AbortWithStatus(http.StatusNotModified)
			return true
		}
	}
	return false
}
