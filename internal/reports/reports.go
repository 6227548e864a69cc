// Package reports owns HR's reports: the completions report, one row per
// (user, module) that is assigned or started, streamed from one SQL query
// to CSV, JSON or XLSX so memory does not grow with the row count; and the
// summary figures per department or module. Status, overdue and progress
// come from internal/assignments (Assess) and internal/learning
// (ProgressPercent), the one place they are defined. Writers take an io.Writer; nothing here knows HTTP.
package reports

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
)

// Options configure a Service.
type Options struct {
	Catalog assignments.Catalog
	Now     func() time.Time // nil: time.Now; status and overdue depend on it
	Log     *slog.Logger
}

// Service runs reports. Its methods are safe for concurrent use.
type Service struct {
	db      *store.DB
	catalog assignments.Catalog
	now     func() time.Time
	log     *slog.Logger
}

// New returns the reports service over db.
func New(db *store.DB, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{db: db, catalog: opt.Catalog, now: opt.Now, log: opt.Log}
}

// clock is the current time as stored.
func (s *Service) clock() time.Time { return store.Timestamp(s.now()) }

// Format is an output format of the completions report.
type Format string

const (
	CSV  Format = "csv"
	JSON Format = "json"
	XLSX Format = "xlsx"
)

// Formats lists the formats in the order the help text names them.
var Formats = []Format{CSV, JSON, XLSX}

// ContentType is the media type of the format.
func (f Format) ContentType() string {
	switch f {
	case JSON:
		return "application/json"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	default:
		return "text/csv; charset=utf-8"
	}
}

// FileName is the dated file name a completions export in f is saved as:
// completions-YYYY-MM-DD.<format>, dated today (UTC).
func (s *Service) FileName(f Format) string {
	return fmt.Sprintf("completions-%s.%s", s.clock().Format("2006-01-02"), f)
}

// Overdue is the status filter value that selects overdue rows, whatever
// their status.
const Overdue = "overdue"

// Query narrows the completions report. The zero Query is every row.
type Query struct {
	Department string
	Module     string
	// Statuses keeps rows whose status is one of them, or that are overdue
	// when it holds Overdue.
	Statuses []string
	// From and To bound completed_at: From inclusive, To exclusive. A row
	// with no completion is left out when either is set.
	From, To *time.Time
	// Limit, when above zero, ends the report after that many rows, and
	// After continues after a row: pages of the JSON report.
	Limit int
	After *Position
}

// Position is a row's place in the report's order: lower(department),
// lower(name) (as the database lower-cases them), user id, module.
type Position struct {
	Department, Name, UserID, Module string
}

// cursorSep separates a Position's parts in a cursor; no department or
// name holds a control character.
const cursorSep = "\n"

// Cursor is the next_cursor value that continues after p.
func (p Position) Cursor() string {
	return page.Encode(strings.Join([]string{p.Department, p.Name, p.UserID, p.Module}, cursorSep))
}

func parseCursor(raw string) (*Position, error) {
	r, err := page.Parse("", raw)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(r.Cursor, cursorSep)
	if len(parts) != 4 || parts[2] == "" || parts[3] == "" {
		return nil, page.ErrBadCursor
	}
	return &Position{Department: parts[0], Name: parts[1], UserID: parts[2], Module: parts[3]}, nil
}

// Filters describes q for the audit log.
func (q Query) Filters() map[string]any {
	m := map[string]any{}
	if q.Department != "" {
		m["department"] = q.Department
	}
	if q.Module != "" {
		m["module"] = q.Module
	}
	if len(q.Statuses) > 0 {
		m["status"] = strings.Join(q.Statuses, ",")
	}
	if q.From != nil {
		m["from"] = q.From.Format(time.RFC3339)
	}
	if q.To != nil {
		m["to"] = q.To.Format(time.RFC3339)
	}
	return m
}

// Params are the raw parameters of a completions export, as the query
// string or the command line gives them.
type Params struct {
	Format, Department, Module, Status, From, To string
	Limit, Cursor                                string // JSON pages only
}

func badParam(name, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return fault.BadField(name+": "+msg, name, msg)
}

func invalidParam(name, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return fault.InvalidFields(name+": "+msg, fault.FieldError{Field: name, Message: msg})
}

// ParseParams checks raw parameters: a malformed value answers 400 and a
// well-formed one naming nothing known (a module that is not published)
// answers 422, each naming the parameter. An empty format means CSV.
func (s *Service) ParseParams(p Params) (Query, Format, error) {
	var q Query
	f := Format(strings.ToLower(strings.TrimSpace(p.Format)))
	if f == "" {
		f = CSV
	}
	if !slices.Contains(Formats, f) {
		return q, f, badParam("format", "must be csv, json or xlsx, not %q", p.Format)
	}
	q.Department = s.department(p.Department)
	if err := q.parsePage(f, p); err != nil {
		return q, f, err
	}
	q.Module = strings.TrimSpace(p.Module)
	if q.Module != "" {
		if _, ok := s.catalog.Modules()[q.Module]; !ok {
			return q, f, invalidParam("module", "no published module %q", q.Module)
		}
	}
	if p.Status != "" {
		for _, st := range strings.Split(p.Status, ",") {
			st = strings.TrimSpace(st)
			if !slices.Contains(assignments.Statuses, st) && st != Overdue {
				return q, f, badParam("status", "must be not_started, in_progress, completed, expired or overdue (or several, comma-separated), not %q", st)
			}
			if !slices.Contains(q.Statuses, st) {
				q.Statuses = append(q.Statuses, st)
			}
		}
	}
	var err error
	if q.From, err = parseTime("from", p.From, false); err != nil {
		return q, f, err
	}
	if q.To, err = parseTime("to", p.To, true); err != nil {
		return q, f, err
	}
	if q.From != nil && q.To != nil && !q.From.Before(*q.To) {
		return q, f, invalidParam("to", "must be after from")
	}
	return q, f, nil
}

// department is the canonical spelling of the department d names, so the
// filter matches without regard to case; d itself when none matches.
func (s *Service) department(d string) string {
	if d == "" {
		return d
	}
	if canon, err := identity.LookupDepartments(s.db.R, []string{d}); err == nil && canon[d] != "" {
		return canon[d]
	}
	return d
}

// parsePage reads limit and cursor, which page the JSON report only.
func (q *Query) parsePage(f Format, p Params) error {
	if p.Limit == "" && p.Cursor == "" {
		return nil
	}
	if f != JSON {
		name := "limit"
		if p.Limit == "" {
			name = "cursor"
		}
		return badParam(name, "pages the JSON report only (format=json); CSV and XLSX hold every row")
	}
	if p.Limit != "" {
		r, err := page.Parse(p.Limit, "")
		if err != nil {
			return err
		}
		q.Limit = r.Limit
	}
	if p.Cursor != "" {
		after, err := parseCursor(p.Cursor)
		if err != nil {
			return err
		}
		q.After = after
		if q.Limit == 0 {
			q.Limit = page.DefaultLimit
		}
	}
	return nil
}

// parseTime reads an RFC 3339 time or a YYYY-MM-DD date (midnight UTC). A
// date given as an upper bound means the end of that day, so to=2026-03-31
// includes the 31st.
func parseTime(name, v string, upper bool) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		t = t.UTC()
		return &t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		if upper {
			t = t.AddDate(0, 0, 1)
		}
		return &t, nil
	}
	return nil, badParam(name, "must be an RFC 3339 time or a YYYY-MM-DD date, not %q", v)
}

// GroupBy is how the summary groups rows.
type GroupBy string

const (
	ByDepartment GroupBy = "department"
	ByModule     GroupBy = "module"
	ByPath       GroupBy = "path" // pairs assigned through a learning path, by path
)

// ParseGroupBy checks the group_by parameter.
func ParseGroupBy(v string) (GroupBy, error) {
	switch g := GroupBy(v); g {
	case ByDepartment, ByModule, ByPath:
		return g, nil
	case "":
		return "", badParam("group_by", "is required: department, module or path")
	default:
		return "", badParam("group_by", "must be department, module or path, not %q", v)
	}
}
