package content

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"time"
)

var (
	slugRE     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	validForRE = regexp.MustCompile(`^([1-9][0-9]*)(d|mo|y)$`)
)

// reserved names are folders of the content root that hold other kinds of
// content; modules, paths, pulses and policies share one slug namespace.
var reserved = []string{"paths", "pulses", "policies"}

// Reserved reports whether s is a folder name the content root keeps for
// something other than modules.
func Reserved(s string) bool { return slices.Contains(reserved, s) }

// ValidSlug reports whether s may name a module: lowercase letters, digits
// and single hyphens, 3-64 characters.
func ValidSlug(s string) bool {
	return len(s) >= 3 && len(s) <= 64 && slugRE.MatchString(s)
}

// maxValidDays bounds valid_for so day arithmetic cannot overflow; a
// century is longer than any recertification period anyone means.
const maxValidDays = 100 * 365

// parseValidFor splits "12mo" into 12 and "mo".
func parseValidFor(s string) (int, string, bool) {
	m := validForRE.FindStringSubmatch(s)
	if m == nil {
		return 0, "", false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n > maxValidDays {
		return 0, "", false
	}
	return n, m[2], true
}

// validDays converts a valid_for value to days, a month being 365/12 days.
func validDays(s string) (int, bool) {
	n, unit, ok := parseValidFor(s)
	if !ok {
		return 0, false
	}
	var d int
	switch unit {
	case "d":
		d = n
	case "mo":
		d = (n*365 + 6) / 12
	default:
		d = n * 365
	}
	return d, d <= maxValidDays
}

// parsing is the state of one Parse call.
type parsing struct {
	mod     *Module
	links   *linker
	probs   []Problem
	warns   []Problem
	now     time.Time
	blocked map[string]bool // Markdown files over the limits: never parsed
	// Lines in module.md and quiz.md that warnings point at.
	reviewLine, passMarkLine, drawLine int
}

func (p *parsing) warn(file string, line int, msg string) {
	p.warns = append(p.warns, Problem{File: file, Line: line, Message: msg})
}

// source returns a Markdown file to parse, unless it breaks the limits.
func (p *parsing) source(file string) ([]byte, bool) {
	src, ok := p.mod.Files[file]
	return src, ok && !p.blocked[file]
}

// checkLimits runs the pre-parse limits on every Markdown file.
func (p *parsing) checkLimits() {
	p.blocked = map[string]bool{}
	for f, src := range p.mod.Files {
		if kindOf(f) == "asset" {
			continue
		}
		if probs := checkLimits(f, src); len(probs) > 0 {
			p.blocked[f] = true
			p.probs = append(p.probs, probs...)
		}
	}
}

func (p *parsing) problem(file string, line int, msg string) {
	p.probs = append(p.probs, Problem{File: file, Line: line, Message: msg})
}

// Parse reads the module in fsys, whose root is the module folder, and
// collects every problem, sorted by file and line. The module is always
// returned so callers can show what was understood; publish it only when
// there are no problems.
func Parse(fsys fs.FS, slug string, opt Options) (*Module, []Problem) {
	files, probs, oversize := readFiles(fsys)
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	p := &parsing{probs: probs, now: now(), mod: &Module{
		Slug: slug, Level: Levels[0], PassMark: 80,
		Files: files, Assets: map[string]Asset{},
		// The hash covers the sources, so it is known before rendering and
		// asset URLs can carry it.
		Hash: hashFiles(files),
	}}
	if !ValidSlug(slug) {
		p.problem("module.md", 0, fmt.Sprintf("module folder %q must be 3-64 lowercase letters, digits and single hyphens", slug))
	} else if Reserved(slug) {
		p.problem("module.md", 0, fmt.Sprintf("%q is a reserved folder name (paths, pulses and policies hold other content); rename the module", slug))
	}
	p.checkLimits()
	// A Markdown file refused for its size still exists: it keeps its
	// place (a lesson, links to it) but is never parsed.
	for f := range oversize {
		p.mod.Files[f], p.blocked[f] = nil, true
	}
	p.assets()
	lessons := p.lessonFiles()
	p.links = newLinker(opt.APIBase, p.mod, lessons)
	if src, ok := p.source("module.md"); ok {
		p.moduleMD(src)
	} else if _, there := files["module.md"]; !there {
		p.problem("module.md", 0, "missing module.md")
	}
	p.lessons(lessons)
	if src, ok := p.source("quiz.md"); ok {
		p.mod.Quiz = p.quiz(src)
	}
	p.warnings()
	SortProblems(p.probs)
	SortProblems(p.warns)
	p.mod.Warnings = p.warns
	return p.mod, p.probs
}
