// Package catalog owns the published modules: it stores every revision of a
// module (its source files, so any revision can be parsed again or
// exported), decides when a publish makes a new revision, and serves the
// current revisions from an in-memory snapshot so requests never parse
// Markdown. Publishing checks the whole module, prerequisites included,
// against the published catalog; nothing invalid is ever stored.
package catalog

import (
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
)

// DefaultAPIBase prefixes the links the renderer rewrites (lessons, assets).
const DefaultAPIBase = "/api/v1"

// Options configure a Service.
type Options struct {
	APIBase string       // default DefaultAPIBase
	Log     *slog.Logger // default: discard
	// Now is the clock for review dates and archiving; nil means time.Now.
	Now func() time.Time
}

// Published is the current revision of a module as the catalog serves it.
// The embedded module is shared by every request: treat it as read-only.
type Published struct {
	*content.Module
	Revision    int
	PublishedAt time.Time
	// Archived modules are out of the catalogue and cannot be started;
	// Module does not return them, Lookup and All do.
	Archived bool
}

// Service is the catalog. Its methods are safe for concurrent use.
type Service struct {
	db   *store.DB
	now  func() time.Time
	opt  content.Options
	log  *slog.Logger
	snap atomic.Pointer[snapshot]
	// mu serialises snapshot rebuilds so that an older view of the
	// database never replaces a newer one.
	mu      sync.Mutex
	past    *revisionCache
	parsing flight
}

// snapshot is one immutable view of the current modules.
type snapshot struct {
	bySlug  map[string]*Published
	ordered []*Published // by title (case-insensitive), then slug
}

// New returns a catalog over db with the current modules loaded.
func New(db *store.DB, opt Options) *Service {
	if opt.APIBase == "" {
		opt.APIBase = DefaultAPIBase
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Service{db: db, opt: content.Options{APIBase: opt.APIBase, Now: opt.Now}, log: opt.Log, past: newRevisionCache(64), now: opt.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.snap.Store(newSnapshot(nil))
	return s
}

func newSnapshot(mods map[string]*Published) *snapshot {
	if mods == nil {
		mods = map[string]*Published{}
	}
	s := &snapshot{bySlug: mods}
	for _, p := range mods {
		s.ordered = append(s.ordered, p)
	}
	slices.SortFunc(s.ordered, func(a, b *Published) int { return strings.Compare(sortKey(a), sortKey(b)) })
	return s
}

// sortKey orders the catalog by title; the slug breaks ties and makes the
// key unique, so it can serve as a list cursor. The separator sorts before
// any character a title may hold; it is not NUL, which page.Parse refuses
// in a cursor.
func sortKey(p *Published) string {
	return strings.ToLower(p.Title) + "\x01" + p.Slug
}

// Module returns the current revision of the module slug, unless it is
// archived: what learners may open and start.
func (s *Service) Module(slug string) (*Published, error) {
	p, err := s.Lookup(slug)
	if err == nil && p.Archived {
		return nil, fault.New(fault.NotFound, "no module %q: it is archived", slug)
	}
	return p, err
}

// Lookup returns the current revision of the module slug, archived or not.
func (s *Service) Lookup(slug string) (*Published, error) {
	if p, ok := s.snap.Load().bySlug[slug]; ok {
		return p, nil
	}
	return nil, fault.New(fault.NotFound, "no module %q", slug)
}

// All returns every current module, archived ones included (see
// Published.Archived), by title. The slice is shared by every caller:
// treat it as read-only.
func (s *Service) All() []*Published { return s.snap.Load().ordered }

// Known returns every published module's prerequisites by slug, the
// catalog that content.ValidateCatalog checks new modules against.
func (s *Service) Known() map[string][]string {
	snap := s.snap.Load()
	out := make(map[string][]string, len(snap.bySlug))
	for slug, p := range snap.bySlug {
		out[slug] = p.Prerequisites
	}
	return out
}

// Filter narrows List.
type Filter struct {
	Topic string // one of content.Topics, or ""
	Query string // case-insensitive words matched in the title, summary or slug
	// IncludeArchived lists archived modules too (for their authors).
	IncludeArchived bool
}

// List returns a page of the current modules sorted by title.
func (s *Service) List(f Filter, p page.Request) ([]*Published, string, error) {
	if f.Topic != "" && !slices.Contains(content.Topics, f.Topic) {
		msg := "unknown topic; one of " + strings.Join(content.Topics, ", ")
		return nil, "", fault.BadField("topic: "+msg, "topic", msg)
	}
	p = p.OrDefault()
	words := strings.Fields(strings.ToLower(f.Query))
	var out []*Published
	for _, m := range s.snap.Load().ordered {
		if p.Cursor != "" && sortKey(m) <= p.Cursor {
			continue
		}
		if m.Archived && !f.IncludeArchived || f.Topic != "" && !slices.Contains(m.Topics, f.Topic) {
			continue
		}
		if !matches(m, words) {
			continue
		}
		out = append(out, m)
		if len(out) > p.Limit {
			break
		}
	}
	out, next := page.Trim(out, p.Limit, sortKey)
	return out, next, nil
}

// matches reports whether every word occurs in the module's title,
// summary or slug.
func matches(m *Published, words []string) bool {
	if len(words) == 0 {
		return true
	}
	text := strings.ToLower(m.Title + "\n" + m.Summary + "\n" + m.Slug)
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// install puts a freshly published revision into the snapshot unless the
// snapshot already holds a newer one.
func (s *Service) install(p *Published) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.snap.Load()
	if cur, ok := old.bySlug[p.Slug]; ok && cur.Revision >= p.Revision {
		return
	}
	mods := make(map[string]*Published, len(old.bySlug)+1)
	for k, v := range old.bySlug {
		mods[k] = v
	}
	if cur, ok := old.bySlug[p.Slug]; ok {
		p.Archived = cur.Archived // a publish leaves the archived flag alone
	}
	mods[p.Slug] = p
	s.snap.Store(newSnapshot(mods))
}

// parsedRevision is a stored revision once parsed.
type parsedRevision struct {
	mod *content.Module
	at  time.Time
}

// revisionCache keeps parsed revisions: they are immutable, and a learner
// part-way through a past one asks for it on every request.
type revisionCache struct {
	mu    sync.Mutex
	size  int
	order []string
	items map[string]parsedRevision
}

func newRevisionCache(size int) *revisionCache {
	return &revisionCache{size: size, items: map[string]parsedRevision{}}
}

func (c *revisionCache) get(key string) (parsedRevision, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.items[key]
	return m, ok
}

func (c *revisionCache) put(key string, m parsedRevision) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok {
		return
	}
	if len(c.order) >= c.size {
		delete(c.items, c.order[0])
		c.order = c.order[1:]
	}
	c.order = append(c.order, key)
	c.items[key] = m
}

// flight lets concurrent callers share one parse of a revision, so that a
// burst of requests for an uncached revision costs one parse, not one each.
type flight struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	done chan struct{}
	val  parsedRevision
	err  error
}

func (f *flight) do(key string, fn func() (parsedRevision, error)) (parsedRevision, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*flightCall{}
	}
	if c, ok := f.calls[key]; ok {
		f.mu.Unlock()
		<-c.done
		return c.val, c.err
	}
	c := &flightCall{done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
		close(c.done)
	}()
	c.val, c.err = fn()
	return c.val, c.err
}
