package assignments

import (
	"sync/atomic"

	"github.com/upskill/upskill/internal/catalog"
)

// ModuleInfo is what assignments and reports need of a published module:
// its current revision's title, lessons and whether it has a quiz.
type ModuleInfo struct {
	Slug     string
	Title    string
	Revision int
	Lessons  []string // lesson slugs of the current revision, in order
	HasQuiz  bool
	// Archived modules stay for reports and existing assignments, but
	// cannot be newly assigned.
	Archived bool
	// Prerequisites are the modules a learner needs a valid record of
	// before starting this one.
	Prerequisites []string
}

// Catalog gives the current revision of every published module. Reading
// it must be cheap: it is an in-memory snapshot, never a Markdown parse.
// The map is shared by every caller: treat it as read-only.
type Catalog interface {
	Modules() map[string]ModuleInfo
}

// CatalogOf adapts the catalog service.
func CatalogOf(c *catalog.Service) Catalog { return &catalogAdapter{c: c} }

// catalogAdapter builds the ModuleInfo map once per catalog snapshot, not
// once per request: the snapshot only changes when a module is published.
type catalogAdapter struct {
	c    *catalog.Service
	last atomic.Pointer[adaptedSnapshot]
}

// adaptedSnapshot is the map built from one snapshot's module list. Holding
// the list keeps its backing array alive, so a later snapshot cannot reuse
// its address and be mistaken for it.
type adaptedSnapshot struct {
	from []*catalog.Published
	mods map[string]ModuleInfo
}

func (a *catalogAdapter) Modules() map[string]ModuleInfo {
	all := a.c.All()
	if last := a.last.Load(); last != nil && sameList(last.from, all) {
		return last.mods
	}
	out := make(map[string]ModuleInfo, len(all))
	for _, p := range all {
		info := ModuleInfo{Slug: p.Slug, Title: p.Title, Revision: p.Revision, HasQuiz: p.Quiz != nil,
			Lessons: make([]string, len(p.Lessons)), Archived: p.Archived, Prerequisites: p.Prerequisites}
		for i, l := range p.Lessons {
			info.Lessons[i] = l.Slug
		}
		out[p.Slug] = info
	}
	a.last.Store(&adaptedSnapshot{from: all, mods: out})
	return out
}

// sameList reports whether a and b are the same slice of one snapshot,
// which is immutable.
func sameList(a, b []*catalog.Published) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// StaticCatalog is a fixed set of modules, for tools and tests.
type StaticCatalog map[string]ModuleInfo

// Modules returns the set itself.
func (c StaticCatalog) Modules() map[string]ModuleInfo { return c }
