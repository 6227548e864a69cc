package content

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// LoadDir parses every subfolder of dir that has a module.md and checks the
// prerequisites across them. Problems name files relative to dir
// ("ai-pilots/quiz.md"); so do the warnings of each module. The reserved
// folders (paths/, pulses/, policies/) are not modules: pulses are checked
// by LoadPulses, the others are left to the features that read them.
func LoadDir(dir string, opt Options) ([]*Module, []Problem) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, []Problem{{File: dir, Message: err.Error()}}
	}
	var mods []*Module
	var probs []Problem
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || Reserved(e.Name()) {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		if !IsModuleDir(sub) {
			probs = append(probs, notAModule(sub, e.Name())...)
			continue
		}
		m, ps := Parse(os.DirFS(sub), e.Name(), opt)
		probs = append(probs, prefix(e.Name(), ps)...)
		m.Warnings = prefix(e.Name(), m.Warnings)
		mods = append(mods, m)
	}
	probs = append(probs, ValidateCatalog(mods, nil)...)
	return mods, probs
}

// LoadModuleDir parses the one module folder dir, checking its
// prerequisites against the modules beside it (dir's parent folder), whose
// own problems are not reported. Problems and warnings name files relative
// to the parent ("ai-pilots/quiz.md"), as LoadDir does.
func LoadModuleDir(dir string, opt Options) (*Module, []Problem) {
	dir = filepath.Clean(dir)
	slug := filepath.Base(dir)
	if abs, err := filepath.Abs(dir); err == nil {
		slug = filepath.Base(abs)
	}
	m, probs := Parse(os.DirFS(dir), slug, opt)
	probs = prefix(slug, probs)
	m.Warnings = prefix(slug, m.Warnings)
	known := map[string][]string{}
	siblings, _ := LoadDir(filepath.Dir(dir), opt)
	for _, s := range siblings {
		if s.Slug != slug {
			known[s.Slug] = s.Prerequisites
		}
	}
	return m, append(probs, ValidateCatalog([]*Module{m}, known)...)
}

// IsModuleDir reports whether dir holds a module.md.
func IsModuleDir(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "module.md"))
	return err == nil && fi.Mode().IsRegular()
}

// notAModule explains a folder that looks like a module but has no
// module.md, so that a misnamed file does not make a module silently vanish.
func notAModule(dir, name string) []Problem {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	looks, found := false, ""
	for _, e := range entries {
		switch n := e.Name(); {
		case strings.EqualFold(n, "module.md"):
			found = n
		case n == "lessons" || n == "quiz.md":
			looks = true
		}
	}
	if found != "" {
		return []Problem{{File: name, Message: fmt.Sprintf("folder holds %s but no module.md: rename it module.md (the name is case-sensitive)", found)}}
	}
	if looks {
		return []Problem{{File: name, Message: "folder has lessons but no module.md, so it is not a module"}}
	}
	return nil
}

// prefix makes a module's problems name files relative to the folder that
// holds the module.
func prefix(dir string, ps []Problem) []Problem {
	for i := range ps {
		ps[i].File = path.Join(dir, ps[i].File)
	}
	return ps
}

// ValidateCatalog checks the prerequisites of mods against mods and known,
// the already-published catalog (slug -> prerequisites). A module in mods
// replaces its published revision, since a new revision may change its
// prerequisites. Problems name "<slug>/module.md" (several modules may be
// checked at once; an API handler checking one upload may trim the "<slug>/")
// and the line of the prerequisites key.
func ValidateCatalog(mods []*Module, known map[string][]string) []Problem {
	graph := map[string][]string{}
	for slug, pre := range known {
		graph[slug] = pre
	}
	fresh := map[string]*Module{}
	for _, m := range mods {
		graph[m.Slug] = m.Prerequisites
		fresh[m.Slug] = m
	}
	var probs []Problem
	for _, m := range mods {
		for _, p := range m.Prerequisites {
			if _, ok := graph[p]; !ok {
				probs = append(probs, Problem{File: m.Slug + "/module.md", Line: m.prereqLine,
					Message: fmt.Sprintf("unknown prerequisite %q", p)})
			}
		}
	}
	for _, cyc := range cycles(graph) {
		// Report on a module being loaded now: a cycle among published
		// modules only is not this upload's fault and cannot be fixed by it.
		for _, s := range cyc[:len(cyc)-1] {
			if m, ok := fresh[s]; ok {
				probs = append(probs, Problem{File: m.Slug + "/module.md", Line: m.prereqLine,
					Message: "prerequisite cycle: " + strings.Join(rotate(cyc, s), " -> ")})
				break
			}
		}
	}
	return probs
}

// cycles finds the cycles of graph, each once, as a path that starts and
// ends with the same slug. Slugs are visited in sorted order so the report
// is stable.
func cycles(graph map[string][]string) [][]string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var found [][]string
	var visit func(s string)
	visit = func(s string) {
		color[s] = grey
		stack = append(stack, s)
		next := slices.Clone(graph[s])
		sort.Strings(next)
		for _, n := range next {
			if _, ok := graph[n]; !ok {
				continue // unknown prerequisite, reported elsewhere
			}
			switch color[n] {
			case white:
				visit(n)
			case grey:
				i := slices.Index(stack, n)
				cyc := append(slices.Clone(stack[i:]), n)
				found = append(found, cyc)
			}
		}
		stack = stack[:len(stack)-1]
		color[s] = black
	}
	slugs := make([]string, 0, len(graph))
	for s := range graph {
		slugs = append(slugs, s)
	}
	sort.Strings(slugs)
	for _, s := range slugs {
		if color[s] == white {
			visit(s)
		}
	}
	return found
}

// rotate turns the closed path cyc so it starts and ends at s.
func rotate(cyc []string, s string) []string {
	ring := cyc[:len(cyc)-1]
	i := slices.Index(ring, s)
	out := append(slices.Clone(ring[i:]), ring[:i]...)
	return append(out, s)
}
