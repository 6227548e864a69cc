package content

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Pulse is a short readiness survey (content/pulses/<slug>.md) asked before
// and after the modules or paths it names.
type Pulse struct {
	Slug       string
	Title      string
	For        []string
	Scale      []string // five labels for 1-5
	Statements []Statement
	Hash       string // hex SHA-256 of the source file (ParsePulse)
}

// Statement is one "## text {#id}" heading of a pulse.
type Statement struct {
	ID   string
	Text string
	Line int
}

// DefaultScale labels the answers 1-5 when a pulse names none.
var DefaultScale = []string{"Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"}

var statementRE = regexp.MustCompile(`^##\s+(.*?)\s*(?:\{#([^}]*)\})?\s*$`)
var statementID = regexp.MustCompile(`^[a-z0-9]+([_-][a-z0-9]+)*$`)

// LoadPulses checks every pulses/<slug>.md under the content root dir.
// known holds the other slugs of the root (modules, paths): a pulse's
// "for" must name them, and its own slug must not clash with them.
// Problems name files relative to dir ("pulses/readiness.md").
func LoadPulses(dir string, known map[string]bool) ([]*Pulse, []Problem) {
	return loadDocs(dir, "pulses", func(file, slug string, src []byte) (*Pulse, []Problem) {
		return parsePulse(file, slug, src, known)
	}, always)
}

func parsePulse(file, slug string, src []byte, known map[string]bool) (*Pulse, []Problem) {
	pl := &Pulse{Slug: slug, Scale: DefaultScale}
	var probs []Problem
	problem := func(line int, msg string) { probs = append(probs, Problem{File: file, Line: line, Message: msg}) }
	switch {
	case !ValidSlug(slug):
		problem(0, fmt.Sprintf("pulse file name %q must be 3-64 lowercase letters, digits and single hyphens, then .md", slug))
	case known[slug]:
		problem(0, fmt.Sprintf("%q is already a module or path slug; pulses share one namespace with them", slug))
	}
	if len(src) > MaxMarkdownBytes {
		problem(0, fmt.Sprintf("file is %d bytes, more than the %d allowed", len(src), MaxMarkdownBytes))
		return pl, probs
	}
	fm, closed := splitFrontMatter(src)
	if !closed || !fm.found || len(fm.yaml) > MaxFrontMatter {
		problem(1, "a pulse starts with front matter: a '---' line, title and for, and another '---' line")
		return pl, probs
	}
	report := func(line int, msg string) { problem(line+1, msg) }
	seen, ok := fields{report: report, known: map[string]func(*yaml.Node){
		"title": textField("title", MaxTitleChars, &pl.Title, report),
		"for": func(v *yaml.Node) {
			items, ok := yamlStrings(v)
			if !ok || len(items) == 0 || len(items) > maxListItems {
				report(v.Line, "for must list the modules or paths whose learners are asked, e.g. [ai-in-marketing]")
				return
			}
			for _, it := range items {
				if !known[it.Value] {
					report(it.Line, fmt.Sprintf("for names %q, which is no module or path here", it.Value))
				}
				pl.For = append(pl.For, it.Value)
			}
		},
		"scale": func(v *yaml.Node) {
			items, ok := yamlStrings(v)
			if !ok || len(items) != 5 {
				report(v.Line, "scale must list five labels, for answers 1 to 5")
				return
			}
			pl.Scale = nil
			for _, it := range items {
				if utf8.RuneCountInString(it.Value) > MaxTitleChars {
					report(it.Line, fmt.Sprintf("a scale label is at most %d characters", MaxTitleChars))
				}
				pl.Scale = append(pl.Scale, it.Value)
			}
		},
	}}.walk(fm.yaml)
	for _, key := range []string{"title", "for"} {
		if _, has := seen[key]; ok && !has {
			problem(1, fmt.Sprintf("missing required key %q", key))
		}
	}
	ids := map[string]int{}
	for i, l := range strings.Split(string(fm.body), "\n") {
		line := i + 1 + fm.skip
		m := statementRE.FindStringSubmatch(strings.TrimRight(l, "\r"))
		if m == nil || strings.HasPrefix(l, "###") {
			continue
		}
		switch id := m[2]; {
		case m[1] == "":
			problem(line, "a statement needs text before its {#id}")
		case id == "":
			problem(line, "a statement needs a stable id in braces at its end, e.g. ## I know where AI helps my work {#where-ai-helps}")
		case !statementID.MatchString(id) || len(id) > 64:
			problem(line, fmt.Sprintf("statement id %q: use lowercase letters, digits, '-' and '_'", id))
		case ids[id] != 0:
			problem(line, fmt.Sprintf("statement id %q is used twice (first on line %d)", id, ids[id]))
		default:
			ids[id] = line
			pl.Statements = append(pl.Statements, Statement{ID: id, Text: m[1], Line: line})
		}
	}
	if len(pl.Statements) == 0 {
		problem(0, "a pulse needs at least one statement: ## I understand how AI could help my work {#understand}")
	}
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	return pl, probs
}

// LoadRoot checks a whole content root: every module (LoadDir), every
// path (LoadPaths: its modules must exist, its slug must not be a
// module's: one namespace), every pulse and every policy
// (policies/<slug>.md).
// Warnings are the modules' warnings, named relative to dir.
func LoadRoot(dir string, opt Options) (mods []*Module, probs, warns []Problem) {
	mods, probs = LoadDir(dir, opt)
	known := map[string]bool{}
	for _, m := range mods {
		known[m.Slug] = true
		warns = append(warns, m.Warnings...)
	}
	modules := make(map[string]bool, len(known))
	for slug := range known {
		modules[slug] = true
	}
	paths, ps := LoadPaths(dir, modules)
	probs = append(probs, ps...)
	for _, p := range paths {
		if modules[p.Slug] {
			probs = append(probs, Problem{File: "paths/" + p.Slug + ".md", Message: fmt.Sprintf("%q is already a module slug; paths share one namespace with modules", p.Slug)})
		}
		known[p.Slug] = true
	}
	pulses, ps := LoadPulses(dir, known)
	probs = append(probs, ps...)
	// Policies share the namespace with modules, paths and pulses.
	for _, pl := range pulses {
		known[pl.Slug] = true
	}
	_, ps = LoadPolicies(dir, known)
	probs = append(probs, ps...)
	SortProblems(probs)
	SortProblems(warns)
	return mods, probs, warns
}
