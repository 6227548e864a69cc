package httpapi

import (
	"context"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/readiness"
	"github.com/upskill/upskill/internal/reports"
)

// Readiness pulses, learning paths, the manager's team view and the
// readiness and adoption reports (issue 16).

type pulseItemJSON struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type waitingPulseJSON struct {
	Slug  string          `json:"slug"`
	Title string          `json:"title"`
	Phase string          `json:"phase"`
	Scale []string        `json:"scale"`
	Items []pulseItemJSON `json:"items"`
}

func (s *Server) myPulses(c *gin.Context) {
	ws, err := s.Readiness.Waiting(c.Request.Context(), principal(c).UserID)
	if err != nil {
		fail(c, err)
		return
	}
	out := list[waitingPulseJSON]{Items: make([]waitingPulseJSON, len(ws))}
	for i, w := range ws {
		items := make([]pulseItemJSON, len(w.Items))
		for j, it := range w.Items {
			items[j] = pulseItemJSON(it)
		}
		out.Items[i] = waitingPulseJSON{Slug: w.Slug, Title: w.Title, Phase: w.Phase, Scale: w.Scale, Items: items}
	}
	c.JSON(http.StatusOK, out)
}

type pulseSummaryJSON struct {
	Slug       string   `json:"slug"`
	Title      string   `json:"title"`
	Revision   int      `json:"revision"`
	For        []string `json:"for"`
	Statements int      `json:"statements"`
}

// listPulses lists the published pulses (never any answer), so the HR
// readiness page can offer them to choose from.
func (s *Server) listPulses(c *gin.Context) {
	pulses, err := s.Catalog.Pulses(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	out := list[pulseSummaryJSON]{Items: make([]pulseSummaryJSON, len(pulses))}
	for i, p := range pulses {
		out.Items[i] = pulseSummaryJSON{Slug: p.Slug, Title: p.Title, Revision: p.Revision, For: append([]string{}, p.For...), Statements: len(p.Statements)}
	}
	c.JSON(http.StatusOK, out)
}

type pulseResponseJSON struct {
	Pulse string `json:"pulse"`
	Phase string `json:"phase"`
}

func (s *Server) postPulseResponse(c *gin.Context) {
	var in struct {
		Phase   string         `json:"phase"`
		Answers map[string]int `json:"answers"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if err := s.Readiness.Respond(c.Request.Context(), principal(c).UserID, c.Param("slug"), in.Phase, in.Answers); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, pulseResponseJSON{Pulse: c.Param("slug"), Phase: in.Phase})
}

// reportFormat reads format=json|csv|xlsx (default json).
func reportFormat(c *gin.Context) (reports.Format, error) {
	f := reports.Format(strings.ToLower(strings.TrimSpace(c.Query("format"))))
	switch f {
	case "":
		return reports.JSON, nil
	case reports.JSON, reports.CSV, reports.XLSX:
		return f, nil
	}
	return f, fault.BadField("format must be json, csv or xlsx", "format", "must be json, csv or xlsx")
}

// sendTable answers a CSV or XLSX download named name.
func sendTable(c *gin.Context, f reports.Format, name, sheet string, head []string, rows [][]any) {
	var buf strings.Builder
	if err := reports.WriteTable(&buf, f, sheet, head, rows); err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + "." + string(f)}))
	c.Data(http.StatusOK, f.ContentType(), []byte(buf.String()))
}

type readinessItemJSON struct {
	ID         string   `json:"id"`
	Text       string   `json:"text"`
	BeforeMean *float64 `json:"before_mean"`
	AfterMean  *float64 `json:"after_mean"`
	Change     *float64 `json:"change"`
}

type readinessGroupJSON struct {
	Key               string              `json:"key"`
	RespondentsBefore int                 `json:"respondents_before"`
	RespondentsAfter  int                 `json:"respondents_after"`
	RespondentsBoth   int                 `json:"respondents_both"`
	Suppressed        bool                `json:"suppressed"`
	Items             []readinessItemJSON `json:"items"`
}

type readinessJSON struct {
	Pulse          string               `json:"pulse"`
	Title          string               `json:"title"`
	Revision       int                  `json:"revision"`
	GroupBy        string               `json:"group_by"`
	MinRespondents int                  `json:"min_respondents"`
	Total          readinessGroupJSON   `json:"total"`
	Groups         []readinessGroupJSON `json:"groups"`
}

func toReadinessGroupJSON(g readiness.Group) readinessGroupJSON {
	out := readinessGroupJSON{Key: g.Key, RespondentsBefore: g.RespondentsBefore, RespondentsAfter: g.RespondentsAfter,
		RespondentsBoth: g.RespondentsBoth, Suppressed: g.Suppressed, Items: make([]readinessItemJSON, len(g.Items))}
	for i, it := range g.Items {
		out.Items[i] = readinessItemJSON{ID: it.ID, Text: it.Text, BeforeMean: it.BeforeMean, AfterMean: it.AfterMean, Change: it.Change}
	}
	return out
}

// ReadinessColumns are the readiness report's CSV and XLSX columns.
var ReadinessColumns = []string{"pulse", "level", "group", "respondents_before", "respondents_after", "respondents_both",
	"suppressed", "item", "item_text", "before_mean", "after_mean", "change"}

func (s *Server) readinessReport(c *gin.Context) {
	f, err := reportFormat(c)
	if err != nil {
		fail(c, err)
		return
	}
	r, err := s.Readiness.Readiness(c.Request.Context(), c.Query("pulse"), c.Query("group_by"))
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.auditReport(c, "readiness", map[string]any{"report": "readiness", "pulse": r.Pulse,
		"group_by": r.GroupBy, "format": string(f), "groups": len(r.Groups)}); err != nil {
		fail(c, err)
		return
	}
	if f == reports.JSON {
		out := readinessJSON{Pulse: r.Pulse, Title: r.Title, Revision: r.Revision, GroupBy: r.GroupBy,
			MinRespondents: readiness.MinRespondents, Total: toReadinessGroupJSON(r.Total),
			Groups: make([]readinessGroupJSON, len(r.Groups))}
		for i, g := range r.Groups {
			out.Groups[i] = toReadinessGroupJSON(g)
		}
		c.JSON(http.StatusOK, out)
		return
	}
	var rows [][]any
	add := func(level string, g readiness.Group) {
		for _, it := range g.Items {
			rows = append(rows, []any{r.Pulse, level, g.Key, g.RespondentsBefore, g.RespondentsAfter, g.RespondentsBoth,
				g.Suppressed, it.ID, it.Text, it.BeforeMean, it.AfterMean, it.Change})
		}
	}
	add("total", r.Total)
	for _, g := range r.Groups {
		add(r.GroupBy, g)
	}
	sendTable(c, f, "readiness-"+r.Pulse, "Readiness", ReadinessColumns, rows)
}

type adoptionRowJSON struct {
	Department          string   `json:"department"`
	Week                string   `json:"week"`
	Completions         int      `json:"completions"`
	TrainingHours       float64  `json:"training_hours"`
	ReadinessChange     *float64 `json:"readiness_change"`
	ReadinessSuppressed bool     `json:"readiness_suppressed"`
	RespondentsBefore   int      `json:"respondents_before"`
	RespondentsAfter    int      `json:"respondents_after"`
	AverageFeedback     *float64 `json:"average_feedback"`
	FeedbackCount       int      `json:"feedback_count"`
	Overdue             int      `json:"overdue"`
}

type adoptionJSON struct {
	From           string            `json:"from"`
	To             string            `json:"to"`
	MinRespondents int               `json:"min_respondents"`
	Rows           []adoptionRowJSON `json:"rows"`
}

// AdoptionColumns are the adoption report's CSV and XLSX columns.
var AdoptionColumns = []string{"department", "week", "completions", "training_hours", "readiness_change",
	"readiness_suppressed", "respondents_before", "respondents_after", "average_feedback", "feedback_count", "overdue"}

func dateParam(c *gin.Context, name string) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return t, fault.BadField(name+" must be a date such as 2026-11-30", name, "must be a date written year-month-day")
	}
	return t, nil
}

func (s *Server) adoptionReport(c *gin.Context) {
	f, err := reportFormat(c)
	if err != nil {
		fail(c, err)
		return
	}
	from, err := dateParam(c, "from")
	if err != nil {
		fail(c, err)
		return
	}
	to, err := dateParam(c, "to")
	if err != nil {
		fail(c, err)
		return
	}
	a, err := s.Readiness.Adoption(c.Request.Context(), from, to)
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.auditReport(c, "adoption", map[string]any{"report": "adoption", "from": a.From.Format(time.DateOnly),
		"to": a.To.Format(time.DateOnly), "format": string(f), "rows": len(a.Rows)}); err != nil {
		fail(c, err)
		return
	}
	rows := make([]adoptionRowJSON, len(a.Rows))
	for i, r := range a.Rows {
		rows[i] = adoptionRowJSON{Department: r.Department, Week: r.Week.Format(time.DateOnly), Completions: r.Completions,
			TrainingHours: r.TrainingHours, ReadinessChange: r.ReadinessChange, ReadinessSuppressed: r.ReadinessSuppressed,
			RespondentsBefore: r.RespondentsBefore, RespondentsAfter: r.RespondentsAfter,
			AverageFeedback: r.AverageFeedback, FeedbackCount: r.FeedbackCount, Overdue: r.Overdue}
	}
	if f == reports.JSON {
		c.JSON(http.StatusOK, adoptionJSON{From: a.From.Format(time.DateOnly), To: a.To.AddDate(0, 0, -1).Format(time.DateOnly),
			MinRespondents: readiness.MinRespondents, Rows: rows})
		return
	}
	table := make([][]any, len(rows))
	for i, r := range rows {
		table[i] = []any{r.Department, r.Week, r.Completions, r.TrainingHours, r.ReadinessChange, r.ReadinessSuppressed,
			r.RespondentsBefore, r.RespondentsAfter, r.AverageFeedback, r.FeedbackCount, r.Overdue}
	}
	sendTable(c, f, "adoption-"+a.From.Format(time.DateOnly), "Adoption", AdoptionColumns, table)
}

// auditReport records who read an aggregate report, with its parameters.
func (s *Server) auditReport(c *gin.Context, target string, details map[string]any) error {
	return fault.Ensure(audit.Record(context.WithoutCancel(c.Request.Context()), s.DB.W, principal(c).UserID,
		audit.ReportExported, target, details), "could not audit the %s report", target)
}

// Paths

type pathModuleJSON struct {
	Slug    string  `json:"slug"`
	Title   string  `json:"title"`
	Status  string  `json:"status"`
	Percent int     `json:"percent"`
	DueAt   *string `json:"due_at"`
}

type pathJSON struct {
	Slug         string           `json:"slug"`
	Title        string           `json:"title"`
	Summary      string           `json:"summary"`
	Revision     int              `json:"revision"`
	ValidForDays *int             `json:"valid_for_days"`
	Status       string           `json:"status"`
	Modules      []pathModuleJSON `json:"modules"`
	Completion   *recordJSON      `json:"completion"`
	OverviewHTML *string          `json:"overview_html,omitempty"`
}

func (s *Server) pathJSON(c *gin.Context, p catalog.PublishedPath, detail bool) (pathJSON, error) {
	pp, err := s.Learning.PathProgress(c.Request.Context(), principal(c).UserID, p)
	if err != nil {
		return pathJSON{}, err
	}
	out := pathJSON{Slug: p.Slug, Title: p.Title, Summary: p.Summary, Revision: p.Revision, Status: pp.Status,
		Modules: make([]pathModuleJSON, len(pp.Modules))}
	if p.ValidForDays > 0 {
		out.ValidForDays = &p.ValidForDays
	}
	for i, m := range pp.Modules {
		pm := pathModuleJSON{Slug: m.Slug, Title: m.Title, Status: learning.NotStarted}
		if m.Progress != nil {
			pm.Status, pm.Percent = m.Progress.Status, m.Progress.Percent
			if m.Progress.DueAt != nil {
				d := m.Progress.DueAt.UTC().Format(time.RFC3339)
				pm.DueAt = &d
			}
		}
		out.Modules[i] = pm
	}
	if pp.Completion != nil {
		r := toRecordJSON(*pp.Completion)
		out.Completion = &r
	}
	if detail {
		out.OverviewHTML = &p.OverviewHTML
	}
	return out, nil
}

func (s *Server) listPaths(c *gin.Context) {
	paths, err := s.Catalog.Paths(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	out := list[pathJSON]{Items: make([]pathJSON, 0, len(paths))}
	for _, p := range paths {
		j, err := s.pathJSON(c, p, false)
		if err != nil {
			fail(c, err)
			return
		}
		out.Items = append(out.Items, j)
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getPath(c *gin.Context) {
	paths, err := s.Catalog.Paths(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	for _, p := range paths {
		if p.Slug == c.Param("slug") {
			j, err := s.pathJSON(c, p, true)
			if err != nil {
				fail(c, err)
				return
			}
			c.JSON(http.StatusOK, j)
			return
		}
	}
	fail(c, fault.New(fault.NotFound, "no path %q", c.Param("slug")))
}

// The manager's team

type teamAssignmentJSON struct {
	Module      string    `json:"module"`
	ModuleTitle string    `json:"module_title"`
	Path        *string   `json:"path"`
	DueAt       time.Time `json:"due_at"`
	AssignedAt  time.Time `json:"assigned_at"`
	Status      string    `json:"status"`
	Overdue     bool      `json:"overdue"`
}

type teamMemberJSON struct {
	ID           string               `json:"id"`
	Name         string               `json:"name"`
	Email        string               `json:"email"`
	Department   string               `json:"department"`
	OverdueCount int                  `json:"overdue_count"`
	Assignments  []teamAssignmentJSON `json:"assignments"`
}

func (s *Server) myTeam(c *gin.Context) {
	team, err := s.Assignments.Team(c.Request.Context(), principal(c).UserID)
	if err != nil {
		fail(c, err)
		return
	}
	out := list[teamMemberJSON]{Items: make([]teamMemberJSON, len(team))}
	for i, m := range team {
		j := teamMemberJSON{ID: m.ID, Name: m.Name, Email: m.Email, Department: m.Department, OverdueCount: m.Overdue,
			Assignments: make([]teamAssignmentJSON, len(m.Assignments))}
		for k, a := range m.Assignments {
			j.Assignments[k] = toTeamAssignmentJSON(a)
		}
		out.Items[i] = j
	}
	c.JSON(http.StatusOK, out)
}

func toTeamAssignmentJSON(v assignments.View) teamAssignmentJSON {
	return teamAssignmentJSON{Module: v.Module, ModuleTitle: v.ModuleTitle, Path: v.Path, DueAt: v.DueAt,
		AssignedAt: v.AssignedAt, Status: v.Status, Overdue: v.Overdue}
}

// publishDoc publishes a learning path (PUT /paths/{slug}, file path.md)
// or a pulse (PUT /pulses/{slug}, file pulse.md), as the content import
// does: 201 for a new revision, 200 when unchanged, 422 with problems.
func (s *Server) publishDoc(kind string) gin.HandlerFunc {
	file := kind + ".md"
	return func(c *gin.Context) {
		var in contentUpload
		if err := decodeJSON(c, &in); err != nil {
			fail(c, err)
			return
		}
		slug := c.Param("slug")
		src, ok := in.Files[file]
		switch {
		case in.Slug != "" && in.Slug != slug:
			fail(c, fault.BadField("slug must equal the URL's", "slug", "must equal the URL's slug"))
			return
		case !ok || len(in.Files) != 1:
			fail(c, fault.InvalidFields("send exactly one file, "+file,
				fault.FieldError{Field: "files", Message: "exactly one file, named " + file}))
			return
		}
		res, err := s.Catalog.PublishDoc(c.Request.Context(), kind, slug, []byte(src), principal(c).UserID)
		if err != nil {
			fail(c, err)
			return
		}
		status := http.StatusOK
		if res.Created {
			status = http.StatusCreated
			c.Header("Location", "/api/v1/"+kind+"s/"+slug)
		}
		c.JSON(status, publishJSON{Slug: slug, Revision: res.Revision, ContentHash: res.Hash, Created: res.Created,
			Warnings: []content.Problem{}})
	}
}
