package assignments

import (
	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/page"
)

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
	out := map[string]ModuleInfo{}
	req := page.Request{Limit: page.MaxLimit}
	for {
		mods, next, err := a.c.List(catalog.Filter{}, req)
		if err != nil { // List fails only on an unknown topic, and we ask for none
			return out
		}
		for _, p := range mods {
			info := ModuleInfo{Slug: p.Slug, Title: p.Title, Revision: p.Revision, HasQuiz: p.Quiz != nil,
				Lessons: make([]string, len(p.Lessons))}
			for i, l := range p.Lessons {
				info.Lessons[i] = l.Slug
			}
			out[p.Slug] = info
		}
		if next == "" {
			return out
		}
		if req, err = page.Parse("", next); err != nil {
			return out
		}
		req.Limit = page.MaxLimit
	}
}

// StaticCatalog is a fixed set of modules, for tools and tests.
type StaticCatalog map[string]ModuleInfo

// Modules returns the set itself.
func (c StaticCatalog) Modules() map[string]ModuleInfo { return c }
