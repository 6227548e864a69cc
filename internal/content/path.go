package content

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Path is a learning path (content/paths/<slug>.md): an ordered list of
// modules with its own title, summary and optional valid_for, and an
// overview (the Markdown body).
type Path struct {
	Slug         string
	Title        string
	Summary      string
	Modules      []string // ordered module slugs
	ValidFor     string   // raw, e.g. "2y"; "" = the path record never expires
	ValidForDays int
	OverviewHTML string // sanitised
	Hash         string // hex SHA-256 of the source file
}

// ExpiresAt is when a path record issued at issued stops counting; nil
// when the path has no valid_for. Same calendar arithmetic as modules.
func (p *Path) ExpiresAt(issued time.Time) *time.Time {
	return (&Module{ValidFor: p.ValidFor}).ExpiresAt(issued)
}

// SourceHash is the content hash of a path or pulse file.
func SourceHash(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

// ParsePath checks one path file. modules holds the slugs of the modules
// a path may name; nil skips that check (the caller checks it later).
// Problems name file.
func ParsePath(file, slug string, src []byte, modules map[string]bool) (*Path, []Problem) {
	p := &Path{Slug: slug, Hash: SourceHash(src)}
	var probs []Problem
	problem := func(line int, msg string) { probs = append(probs, Problem{File: file, Line: line, Message: msg}) }
	if !ValidSlug(slug) || Reserved(slug) {
		problem(0, fmt.Sprintf("path file name %q must be 3-64 lowercase letters, digits and single hyphens, then .md", slug))
	}
	if len(src) > MaxMarkdownBytes {
		problem(0, fmt.Sprintf("file is %d bytes, more than the %d allowed", len(src), MaxMarkdownBytes))
		return p, probs
	}
	fm, closed := splitFrontMatter(src)
	if !closed || !fm.found || len(fm.yaml) > MaxFrontMatter {
		problem(1, "a path starts with front matter: a '---' line, title, summary and modules, and another '---' line")
		return p, probs
	}
	report := func(line int, msg string) { problem(line+1, msg) }
	seen, ok := fields{report: report, known: map[string]func(*yaml.Node){
		"title":   textField("title", MaxTitleChars, &p.Title, report),
		"summary": textField("summary", maxSummary, &p.Summary, report),
		"modules": func(v *yaml.Node) {
			items, ok := yamlStrings(v)
			if !ok || len(items) == 0 || len(items) > maxListItems {
				report(v.Line, "modules must list the path's modules in order, e.g. [ai-basics, ai-in-marketing]")
				return
			}
			dup := map[string]bool{}
			for _, it := range items {
				switch {
				case dup[it.Value]:
					report(it.Line, fmt.Sprintf("modules names %q twice", it.Value))
					continue
				case modules != nil && !modules[it.Value]:
					report(it.Line, fmt.Sprintf("modules names %q, which is no module here", it.Value))
				}
				dup[it.Value] = true
				p.Modules = append(p.Modules, it.Value)
			}
		},
		"valid_for": func(v *yaml.Node) {
			s, _ := yamlString(v)
			days, ok := validDays(s)
			if v.ShortTag() != "!!str" || !ok {
				report(v.Line, fmt.Sprintf("valid_for is %s; want a number and d, mo or y, e.g. 365d, 12mo or 2y (at most 100y)", show(v)))
				return
			}
			p.ValidFor, p.ValidForDays = s, days
		},
	}}.walk(fm.yaml)
	for _, key := range []string{"title", "summary", "modules"} {
		if _, has := seen[key]; ok && !has {
			problem(1, fmt.Sprintf("missing required key %q", key))
		}
	}
	d := parseDoc(file, fm.body, fm.skip)
	p.OverviewHTML = d.html(d.root)
	probs = append(probs, d.probs...)
	SortProblems(probs)
	return p, probs
}

// LoadPaths checks every paths/<slug>.md under the content root dir
// against the module slugs given. Problems name files relative to dir.
func LoadPaths(dir string, modules map[string]bool) ([]*Path, []Problem) {
	return loadDocs(dir, "paths", func(file, slug string, src []byte) (*Path, []Problem) {
		return ParsePath(file, slug, src, modules)
	}, always)
}

// ParsePulse checks one pulse file (see LoadPulses); known holds the
// module and path slugs its "for" may name, and that its slug must not
// take; nil skips those checks.
func ParsePulse(file, slug string, src []byte, known map[string]bool) (*Pulse, []Problem) {
	pl, probs := parsePulse(file, slug, src, known)
	pl.Hash = SourceHash(src)
	return pl, probs
}
