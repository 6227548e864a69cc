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
// ("ai-pilots/quiz.md").
func LoadDir(dir string, opt Options) ([]*Module, []Problem) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, []Problem{{File: dir, Message: err.Error()}}
	}
	var mods []*Module
	var probs []Problem
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(sub, "module.md")); err != nil {
			continue
		}
		m, ps := Parse(os.DirFS(sub), e.Name(), opt)
		probs = append(probs, prefix(e.Name(), ps)...)
		if m != nil {
			mods = append(mods, m)
		}
	}
	probs = append(probs, ValidateCatalog(mods, nil)...)
	return mods, probs
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
