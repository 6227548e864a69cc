// Package content owns the module format trainers write in Markdown: it
// parses a module folder (on disk or uploaded through the API), validates it
// against the format documented for trainers in content/README.md, renders and sanitises its
// HTML once, and reports every problem with its file and line so a trainer
// can fix them all in one pass.
package content

import (
	"cmp"
	"slices"
	"time"
)

// Problem is one thing wrong with a module. Line is 0 when it concerns the
// whole file.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// SortProblems orders problems by file, then line, keeping the order in
// which they were found within a line.
func SortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
}

// Topics lists every topic a module may name, in the order the format gives.
var Topics = []string{
	"benefits", "change", "skills", "pilots", "roi",
	"ethics", "bias", "privacy", "communication", "improvement",
}

// Levels lists the module levels; the first is the default.
var Levels = []string{"beginner", "intermediate", "advanced"}

// Module is a parsed, validated and rendered module revision.
type Module struct {
	Slug          string
	Title         string
	Summary       string
	Topics        []string
	Level         string // beginner|intermediate|advanced
	Minutes       int    // front matter, else the lessons' minutes summed
	PassMark      int    // whole percent, default 80
	MaxAttempts   int    // 0 = unlimited
	ValidFor      string // raw, e.g. "365d", "12mo", "2y"; "" = never expires
	ValidForDays  int    // 0 when none
	Prerequisites []string
	OverviewHTML  string
	Lessons       []Lesson // ordered by number
	Quiz          *Quiz    // nil when there is no quiz.md
	Assets        map[string]Asset
	Files         map[string][]byte // every source file by clean relative path
	Hash          string            // hex SHA-256 over Files, see hashFiles
	ReviewBy      string            // "2027-06-30" or ""
	Owner         string            // email of the trainer answerable for it, or ""
	// Warnings are things a trainer should look at that do not stop a
	// publish (problems do), sorted by file and line.
	Warnings []Problem

	// prereqLine is the line of the prerequisites key in module.md, so
	// catalog-wide problems can point at it.
	prereqLine int
}

// Lesson is one rendered lesson.
type Lesson struct {
	Number  int    `json:"number"`
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	HTML    string `json:"html"` // sanitised
	Minutes int    `json:"minutes"`
	Words   int    `json:"words"`
}

// Asset is an image a lesson refers to.
type Asset struct {
	ContentType string
	Data        []byte
}

// Quiz is the parsed quiz.md.
type Quiz struct {
	Shuffle   bool       `json:"shuffle"`
	Draw      int        `json:"draw"`   // 0 = all
	Reveal    string     `json:"reveal"` // after_submit|never
	Questions []Question `json:"questions"`
}

// Asked is how many questions an attempt asks: Draw when set, else the
// whole pool. (A Draw over the pool is a content problem; learning still
// asks at most the pool.)
func (q *Quiz) Asked() int {
	if q.Draw > 0 {
		return q.Draw
	}
	return len(q.Questions)
}

// Question is one quiz question, numbered in file order.
type Question struct {
	ID              string   `json:"id"`   // "q1".. in file order
	Kind            string   `json:"kind"` // single|multiple
	PromptHTML      string   `json:"prompt_html"`
	Choices         []Choice `json:"choices"`
	ExplanationHTML string   `json:"explanation_html"` // "" when the trainer wrote none
	Line            int      `json:"line"`             // of the "## " heading in quiz.md
}

// Choice is one answer of a question.
type Choice struct {
	ID       string `json:"id"` // "q1-c1"..
	TextHTML string `json:"text_html"`
	Correct  bool   `json:"correct"`
}

// Options tunes how a module is rendered.
type Options struct {
	APIBase string // e.g. "/api/v1"; prefix of rewritten links
	// Now is the clock that review_by is compared with; nil means
	// time.Now. It only ever changes warnings, never problems.
	Now func() time.Time
}

// ReviewOverdue reports whether the module's review_by date has passed at now.
func (m *Module) ReviewOverdue(now time.Time) bool {
	d, err := time.Parse(time.DateOnly, m.ReviewBy)
	return err == nil && !now.Before(d.AddDate(0, 0, 1))
}

// ExpiresAt is when a record issued at issued stops counting, using calendar
// arithmetic so "1y" issued on 29 Feb behaves like the trainer expects from a
// calendar; nil when the module has no valid_for.
func (m *Module) ExpiresAt(issued time.Time) *time.Time {
	n, unit, ok := parseValidFor(m.ValidFor)
	if !ok {
		return nil
	}
	var t time.Time
	switch unit {
	case "d":
		t = issued.AddDate(0, 0, n)
	case "mo":
		t = issued.AddDate(0, n, 0)
	default:
		t = issued.AddDate(n, 0, 0)
	}
	return &t
}
