package content

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Policy is one policy document (content/policies/<slug>.md): front matter
// with title, summary and optional departments, then Markdown. Its Hash
// covers the whole file, so any change of the text is a new version.
type Policy struct {
	Slug    string
	Title   string
	Summary string
	// Departments it applies to; empty: everyone.
	Departments []string
	Source      []byte
	HTML        string
	Hash        string
}

// PolicyFile is the one file a published policy is sent as
// (`{"files":{"policy.md":"…"}}`).
const PolicyFile = "policy.md"

// maxDepartmentChars bounds one department name in a policy's list.
const maxDepartmentChars = 200

// ParsePolicy checks one policy file and renders it. known holds the slugs
// the policy must not take (modules, paths, pulses): one namespace. file
// names the file in problems.
func ParsePolicy(file, slug string, src []byte, known map[string]bool) (*Policy, []Problem) {
	pol := &Policy{Slug: slug, Source: src}
	var probs []Problem
	problem := func(line int, msg string) { probs = append(probs, Problem{File: file, Line: line, Message: msg}) }
	switch {
	case !ValidSlug(slug) || Reserved(slug):
		problem(0, fmt.Sprintf("policy name %q must be 3-64 lowercase letters, digits and single hyphens", slug))
	case known[slug]:
		problem(0, fmt.Sprintf("%q is already a module, path or pulse slug; policies share one namespace with them", slug))
	}
	if len(src) > MaxMarkdownBytes {
		problem(0, fmt.Sprintf("file is %d bytes, more than the %d allowed", len(src), MaxMarkdownBytes))
		return pol, probs
	}
	if !utf8.Valid(src) {
		problem(0, "file is not valid UTF-8")
		return pol, probs
	}
	if lp := checkLimits(file, src); len(lp) > 0 {
		return pol, append(probs, lp...)
	}
	fm, closed := splitFrontMatter(src)
	if !closed || !fm.found || len(fm.yaml) > MaxFrontMatter {
		problem(1, "a policy starts with front matter: a '---' line, title and summary, and another '---' line")
		return pol, probs
	}
	report := func(line int, msg string) { problem(line+1, msg) }
	seen, ok := fields{report: report, known: map[string]func(*yaml.Node){
		"title":   textField("title", MaxTitleChars, &pol.Title, report),
		"summary": textField("summary", maxSummary, &pol.Summary, report),
		"departments": func(v *yaml.Node) {
			items, ok := yamlStrings(v)
			if !ok || len(items) > maxListItems {
				report(v.Line, fmt.Sprintf("departments must list department names (at most %d), e.g. [Marketing, Sales]", maxListItems))
				return
			}
			dup := map[string]bool{}
			for _, it := range items {
				name := strings.TrimSpace(it.Value)
				switch {
				case name == "" || utf8.RuneCountInString(name) > maxDepartmentChars || strings.ContainsFunc(name, isControl):
					report(it.Line, fmt.Sprintf("department %s: want a name of 1-%d characters", show(it), maxDepartmentChars))
				case dup[strings.ToLower(name)]:
					report(it.Line, fmt.Sprintf("department %q is listed twice", name))
				default:
					dup[strings.ToLower(name)] = true
					pol.Departments = append(pol.Departments, name)
				}
			}
		},
	}}.walk(fm.yaml)
	for _, key := range []string{"title", "summary"} {
		if _, has := seen[key]; ok && !has {
			problem(1, fmt.Sprintf("missing required key %q", key))
		}
	}
	if strings.TrimSpace(string(fm.body)) == "" {
		problem(fm.skip+1, "a policy needs its text after the front matter")
		return pol, probs
	}
	d := parseDoc(file, fm.body, fm.skip)
	pol.HTML = d.html(d.root)
	probs = append(probs, d.probs...)
	pol.Hash = PolicyHash(src)
	SortProblems(probs)
	return pol, probs
}

// LoadPolicies checks every policies/<slug>.md under the content root dir
// against known (the root's other slugs). Problems name files relative to
// dir ("policies/ai-acceptable-use.md"); policies with problems are left
// out of the result.
func LoadPolicies(dir string, known map[string]bool) ([]*Policy, []Problem) {
	return loadDocs(dir, "policies", func(file, slug string, src []byte) (*Policy, []Problem) {
		return ParsePolicy(file, slug, src, known)
	}, func(ps []Problem) bool { return len(ps) == 0 })
}

// PolicyHash is the content hash a policy file's text gets.
func PolicyHash(src []byte) string {
	sum := sha256.Sum256(src)
	return "sha256:" + hex.EncodeToString(sum[:])
}
