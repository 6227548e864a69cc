package content

import (
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
)

var (
	slugRE     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	validForRE = regexp.MustCompile(`^([1-9][0-9]*)(d|mo|y)$`)
)

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
	mod   *Module
	links *linker
	probs []Problem
}

func (p *parsing) problem(file string, line int, msg string) {
	p.probs = append(p.probs, Problem{File: file, Line: line, Message: msg})
}

// Parse reads the module in fsys, whose root is the module folder, and
// collects every problem, sorted by file and line. The module is always
// returned so callers can show what was understood; publish it only when
// there are no problems.
func Parse(fsys fs.FS, slug string, opt Options) (*Module, []Problem) {
	files, probs := readFiles(fsys)
	p := &parsing{probs: probs, mod: &Module{
		Slug: slug, Level: Levels[0], PassMark: 80,
		Files: files, Assets: map[string]Asset{},
		// The hash covers the sources, so it is known before rendering and
		// asset URLs can carry it.
		Hash: hashFiles(files),
	}}
	if !ValidSlug(slug) {
		p.problem("module.md", 0, fmt.Sprintf("module folder %q must be 3-64 lowercase letters, digits and single hyphens", slug))
	}
	p.assets()
	lessons := p.lessonFiles()
	p.links = newLinker(opt.APIBase, p.mod, lessons)
	if src, ok := files["module.md"]; ok {
		p.moduleMD(src)
	} else {
		p.problem("module.md", 0, "missing module.md")
	}
	p.lessons(lessons)
	if src, ok := files["quiz.md"]; ok {
		p.mod.Quiz = p.quiz(src)
	}
	SortProblems(p.probs)
	return p.mod, p.probs
}
