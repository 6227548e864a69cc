package assignments

import "github.com/upskill/upskill/internal/catalog"

// ModuleInfo is what assignments and reports need of a published module:
// its current revision's title, lessons and whether it has a quiz.
type ModuleInfo struct {
	Slug     string
	Title    string
	Revision int
	Lessons  []string // lesson slugs of the current revision, in order
	HasQuiz  bool
}

// Catalog gives the current revision of every published module. Reading
// it must be cheap: it is an in-memory snapshot, never a Markdown parse.
type Catalog interface {
	Modules() map[string]ModuleInfo
}

// CatalogOf adapts the catalog service.
func CatalogOf(c *catalog.Service) Catalog { return catalogAdapter{c} }

type catalogAdapter struct{ c *catalog.Service }

func (a catalogAdapter) Modules() map[string]ModuleInfo {
	all := a.c.All()
	out := make(map[string]ModuleInfo, len(all))
	for _, p := range all {
		info := ModuleInfo{Slug: p.Slug, Title: p.Title, Revision: p.Revision, HasQuiz: p.Quiz != nil,
			Lessons: make([]string, len(p.Lessons))}
		for i, l := range p.Lessons {
			info.Lessons[i] = l.Slug
		}
		out[p.Slug] = info
	}
	return out
}

// StaticCatalog is a fixed set of modules, for tools and tests.
type StaticCatalog map[string]ModuleInfo

// Modules returns the set itself.
func (c StaticCatalog) Modules() map[string]ModuleInfo { return c }
