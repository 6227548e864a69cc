package content

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

const maxSummary = 300 // characters

// moduleMD reads module.md: front matter into m, overview into m.OverviewHTML.
func (p *parsing) moduleMD(src []byte) {
	const file = "module.md"
	fm, closed := splitFrontMatter(src)
	if !closed {
		p.problem(file, 1, "front matter opened with '---' on line 1 is never closed by a '---' line")
		return
	}
	if !fm.found {
		p.problem(file, 1, "module.md must start with front matter: a '---' line, title, summary, topics, and another '---' line")
		return
	}
	if len(fm.yaml) > MaxFrontMatter {
		p.problem(file, 1, fmt.Sprintf("front matter is %d bytes; at most %d", len(fm.yaml), MaxFrontMatter))
		return
	}
	// YAML line n is file line n+1: the opening '---' comes first.
	report := func(line int, msg string) { p.problem(file, line+1, msg) }
	seen, ok := fields{report: report, known: p.moduleKeys(report)}.walk(fm.yaml)
	for _, key := range []string{"title", "summary", "topics"} {
		if _, has := seen[key]; ok && !has {
			p.problem(file, 1, fmt.Sprintf("missing required key %q", key))
		}
	}
	if line, ok := seen["prerequisites"]; ok {
		p.mod.prereqLine = line + 1
	} else {
		p.mod.prereqLine = 1
	}
	d := parseDoc(file, fm.body, fm.skip)
	p.links.rewrite(d)
	p.mod.OverviewHTML = d.html(d.root)
	p.probs = append(p.probs, d.probs...)
	p.warns = append(p.warns, d.warns...)
}

// moduleKeys decodes each module.md key into p.mod, reporting bad values.
func (p *parsing) moduleKeys(report func(int, string)) map[string]func(*yaml.Node) {
	m := p.mod
	return map[string]func(*yaml.Node){
		"title":   textField("title", MaxTitleChars, &m.Title, report),
		"summary": textField("summary", maxSummary, &m.Summary, report),
		"owner": func(v *yaml.Node) {
			var s string
			textField("owner", maxEmailChars, &s, report)(v)
			if a, err := mail.ParseAddress(s); s != "" && (err != nil || a.Address != s || a.Name != "") {
				report(v.Line, fmt.Sprintf("owner is %s; want one email address, e.g. training@example.com", show(v)))
				return
			}
			m.Owner = s
		},
		"review_by": func(v *yaml.Node) {
			if _, err := time.Parse(time.DateOnly, v.Value); v.Kind != yaml.ScalarNode || len(v.Value) != 10 || err != nil {
				report(v.Line, fmt.Sprintf("review_by is %s; want a date written year-month-day, e.g. 2027-06-30", show(v)))
				return
			}
			m.ReviewBy, p.reviewLine = v.Value, v.Line+1
		},
		"topics": func(v *yaml.Node) { m.Topics = p.slugList(v, "topics", report, p.topic) },
		"level": func(v *yaml.Node) {
			s, _ := yamlString(v)
			if !slices.Contains(Levels, s) {
				report(v.Line, fmt.Sprintf("unknown level %s; one of %s", show(v), strings.Join(Levels, ", ")))
				return
			}
			m.Level = s
		},
		"minutes": wholeField("minutes", 1, 10000, "want a whole number of minutes, at least 1", &m.Minutes, report),
		"pass_mark": func(v *yaml.Node) {
			p.passMarkLine = v.Line + 1
			wholeField("pass_mark", 1, 100, "want a whole percent from 1 to 100", &m.PassMark, report)(v)
		},
		"max_attempts": wholeField("max_attempts", 0, 1000, "want a whole number, 0 or more (0 = unlimited)", &m.MaxAttempts, report),
		"valid_for": func(v *yaml.Node) {
			s, _ := yamlString(v)
			days, ok := validDays(s)
			if v.ShortTag() != "!!str" || !ok {
				report(v.Line, fmt.Sprintf("valid_for is %s; want a number and d, mo or y, e.g. 365d, 12mo or 2y (at most 100y)", show(v)))
				return
			}
			m.ValidFor, m.ValidForDays = s, days
		},
		"prerequisites": func(v *yaml.Node) {
			m.Prerequisites = p.slugList(v, "prerequisites", report, p.prerequisite)
		},
	}
}

// textField reads text of at most max characters.
func textField(key string, max int, dst *string, report func(int, string)) func(*yaml.Node) {
	return func(v *yaml.Node) {
		s, ok := yamlString(v)
		switch {
		case !ok:
			report(v.Line, key+" must be text")
		case utf8.RuneCountInString(s) > max:
			report(v.Line, fmt.Sprintf("%s is %d characters; at most %d", key, utf8.RuneCountInString(s), max))
		case strings.TrimSpace(s) == "":
			report(v.Line, key+" must not be empty")
		case strings.ContainsFunc(s, isControl):
			// A quoted YAML string can spell one ("\0"); the database
			// refuses NUL in text, and no title or summary needs one.
			report(v.Line, key+" must not contain control characters")
		default:
			*dst = strings.TrimSpace(s)
		}
	}
}

// isControl reports a C0 or DEL control character other than tab and line
// breaks, which a multi-line summary may keep.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
}

// wholeField reads a whole number in [lo, hi]; the upper bounds are far
// beyond real use and only keep arithmetic on them safe.
func wholeField(key string, lo, hi int, msg string, dst *int, report func(int, string)) func(*yaml.Node) {
	return func(v *yaml.Node) {
		n, ok := yamlInt(v)
		if !ok || n < lo || n > hi {
			report(v.Line, fmt.Sprintf("%s is %s; %s", key, show(v), msg))
			return
		}
		*dst = n
	}
}

// slugList reads a list of names, checking each with check (which returns
// a problem message or "") and reporting repeats.
func (p *parsing) slugList(v *yaml.Node, key string, report func(int, string), check func(string) string) []string {
	items, ok := yamlStrings(v)
	if !ok {
		report(v.Line, fmt.Sprintf("%s must be a list, e.g. [%s]", key, map[string]string{
			"topics": "benefits, roi", "prerequisites": "ai-basics"}[key]))
		return nil
	}
	if key == "topics" && len(items) == 0 {
		report(v.Line, "topics must name at least one topic")
	}
	if len(items) > maxListItems {
		report(v.Line, fmt.Sprintf("%s lists %d items; at most %d", key, len(items), maxListItems))
		return nil
	}
	var out []string
	for _, item := range items {
		s := strings.TrimSpace(item.Value)
		if msg := check(s); msg != "" {
			report(item.Line, msg)
		} else if slices.Contains(out, s) {
			report(item.Line, fmt.Sprintf("%q is listed twice in %s", s, key))
		} else {
			out = append(out, s)
		}
	}
	return out
}

func (p *parsing) topic(s string) string {
	if slices.Contains(Topics, s) {
		return ""
	}
	return fmt.Sprintf("unknown topic %q; one of %s", s, strings.Join(Topics, ", "))
}

func (p *parsing) prerequisite(s string) string {
	switch {
	case !ValidSlug(s):
		return fmt.Sprintf("prerequisite %q is not a module slug (3-64 lowercase letters, digits and hyphens)", s)
	case s == p.mod.Slug:
		return fmt.Sprintf("module %q cannot be its own prerequisite", s)
	}
	return ""
}

// show quotes a YAML value for a message the way the trainer wrote it.
func show(v *yaml.Node) string {
	switch v.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a set of keys"
	case yaml.AliasNode:
		return "an alias"
	}
	if v.ShortTag() == "!!null" {
		return "empty"
	}
	return fmt.Sprintf("%q", v.Value)
}
