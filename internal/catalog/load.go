package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// testParseHook, when set by a test, is called before each stored revision
// is parsed.
var testParseHook func(slug string)

// slowParse is when parsing a stored revision is logged as slow.
const slowParse = 2 * time.Second

// revisionRow is one immutable published revision.
type revisionRow struct {
	ID          string
	Slug        string
	Revision    int
	ContentHash string
	Title       string
	Summary     string
	PublishedAt time.Time
	PublishedBy *string
}

func (revisionRow) TableName() string { return "module_revisions" }

// fileRow is one source file of a revision.
type fileRow struct {
	RevisionID string
	Path       string
	Data       []byte
}

func (fileRow) TableName() string { return "module_revision_files" }

// moduleRow points at the current revision of a module.
type moduleRow struct {
	Slug            string
	CurrentRevision int
	ContentHash     string
	Prerequisites   []string `gorm:"serializer:json"`
	UpdatedAt       time.Time
	ArchivedAt      *time.Time
}

func (moduleRow) TableName() string { return "modules" }

// Refresh brings the snapshot up to date with the database. It first
// compares the current revision numbers (and archived flags) with the
// snapshot's, which costs one small query, and parses only the modules
// whose revision changed: call it as often as you like. Replicas call it on
// a timer (Watch) to pick up what others published. Parsing happens
// without the catalog's lock, so nothing that reads or installs modules
// waits on it.
func (s *Service) Refresh(ctx context.Context) error {
	parsed := map[string]parsedRevision{}
	for range 3 {
		rows, err := s.currentRows(ctx)
		if err != nil {
			return err
		}
		if s.sameAsSnapshot(rows) {
			return nil
		}
		// Parse outside the lock, on every CPU (a start parses them all).
		var todo []moduleRow
		for _, r := range rows {
			key := revisionKey(r.Slug, r.CurrentRevision)
			if p, ok := s.snap.Load().bySlug[r.Slug]; ok && p.Revision == r.CurrentRevision {
				continue
			}
			if _, ok := parsed[key]; ok {
				continue
			}
			todo = append(todo, r)
		}
		if err := s.parseAll(ctx, todo, parsed); err != nil {
			return err
		}
		if done, err := s.installRows(ctx, parsed); done || err != nil {
			return err
		}
	}
	return nil // another publish keeps landing: the next refresh catches up
}

// parseAll parses the current revision of each row into parsed, on up to
// GOMAXPROCS goroutines.
func (s *Service) parseAll(ctx context.Context, rows []moduleRow, parsed map[string]parsedRevision) error {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, r := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			pr, err := s.parsedRevision(ctx, r.Slug, r.CurrentRevision)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			parsed[revisionKey(r.Slug, r.CurrentRevision)] = pr
		}()
	}
	wg.Wait()
	return firstErr
}

// currentRows reads the pointer to each module's current revision.
func (s *Service) currentRows(ctx context.Context) ([]moduleRow, error) {
	var rows []moduleRow
	err := s.db.R.WithContext(ctx).Select("slug", "current_revision", "archived_at").Order("slug").Find(&rows).Error
	if err != nil {
		return nil, fault.Wrap(err, "could not read the catalog")
	}
	return rows, nil
}

// installRows re-reads the current rows under the lock and installs them
// from the revisions parsed by the caller. done is false when a revision is
// not parsed yet (someone published since): the caller parses it and
// tries again, so the lock is never held while parsing.
func (s *Service) installRows(ctx context.Context, parsed map[string]parsedRevision) (done bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.currentRows(ctx)
	if err != nil {
		return false, err
	}
	old := s.snap.Load()
	mods := make(map[string]*Published, len(rows))
	for _, r := range rows {
		p, ok := old.bySlug[r.Slug]
		if !ok || p.Revision < r.CurrentRevision {
			m, ok := parsed[revisionKey(r.Slug, r.CurrentRevision)]
			if !ok {
				return false, nil
			}
			p = &Published{Module: m.mod, Revision: r.CurrentRevision, PublishedAt: m.at}
		}
		if p.Archived != (r.ArchivedAt != nil) {
			cp := *p
			cp.Archived = r.ArchivedAt != nil
			p = &cp
		}
		mods[r.Slug] = p
	}
	s.snap.Store(newSnapshot(mods))
	s.log.Info("catalog loaded", slog.Int("modules", len(mods)))
	return true, nil
}

func (s *Service) sameAsSnapshot(rows []moduleRow) bool {
	snap := s.snap.Load()
	if len(snap.bySlug) != len(rows) {
		return false
	}
	for _, r := range rows {
		if p, ok := snap.bySlug[r.Slug]; !ok || p.Revision != r.CurrentRevision || p.Archived != (r.ArchivedAt != nil) {
			return false
		}
	}
	return true
}

// Watch calls Refresh every interval until ctx ends, so that a replica
// serves what another replica published within one interval.
func (s *Service) Watch(ctx context.Context, interval time.Duration) {
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("catalog refresh failed", slog.String("error", err.Error()))
				}
			}
		}
	}()
}

// Revision returns revision rev of the module slug, current or past, parsed
// from its stored files. Parsed revisions are cached (they never change),
// and concurrent requests for one revision share a single parse.
func (s *Service) Revision(ctx context.Context, slug string, rev int) (*content.Module, error) {
	if p, ok := s.snap.Load().bySlug[slug]; ok && p.Revision == rev {
		return p.Module, nil
	}
	pr, err := s.parsedRevision(ctx, slug, rev)
	return pr.mod, err
}

// parsedRevision parses a stored revision once for all concurrent callers
// and caches it.
func (s *Service) parsedRevision(ctx context.Context, slug string, rev int) (parsedRevision, error) {
	key := revisionKey(slug, rev)
	if m, ok := s.past.get(key); ok {
		return m, nil
	}
	return s.parsing.do(key, func() (parsedRevision, error) {
		if m, ok := s.past.get(key); ok {
			return m, nil
		}
		m, r, err := s.load(ctx, s.db.R, slug, rev)
		if err != nil {
			return parsedRevision{}, err
		}
		pr := parsedRevision{mod: m, at: r.PublishedAt}
		s.past.put(key, pr)
		return pr, nil
	})
}

func revisionKey(slug string, rev int) string { return fmt.Sprintf("%s@%d", slug, rev) }

// Files returns the source files of revision rev of the module slug, for
// export.
func (s *Service) Files(ctx context.Context, slug string, rev int) (map[string][]byte, error) {
	m, err := s.Revision(ctx, slug, rev)
	if err != nil {
		return nil, err
	}
	return m.Files, nil
}

// load reads and parses one stored revision.
func (s *Service) load(ctx context.Context, db *gorm.DB, slug string, rev int) (*content.Module, revisionRow, error) {
	var r revisionRow
	err := db.WithContext(ctx).Where("slug = ? AND revision = ?", slug, rev).Take(&r).Error
	if store.IsNotFound(err) {
		return nil, r, fault.New(fault.NotFound, "module %q has no revision %d", slug, rev)
	}
	if err != nil {
		return nil, r, fault.Wrap(err, "could not read module %q revision %d", slug, rev)
	}
	var rows []fileRow
	if err := db.WithContext(ctx).Where("revision_id = ?", r.ID).Find(&rows).Error; err != nil {
		return nil, r, fault.Wrap(err, "could not read the files of module %q revision %d", slug, rev)
	}
	files := make(map[string][]byte, len(rows))
	for _, f := range rows {
		files[f.Path] = f.Data
	}
	if testParseHook != nil {
		testParseHook(slug)
	}
	start := time.Now()
	m, probs := content.Parse(content.FilesFS(files), slug, s.opt)
	if took := time.Since(start); took > slowParse {
		// The limits checked before parsing bound this; a slow parse means
		// they need another look, so say so. It never decides validity.
		s.log.Warn("slow module parse", slog.String("slug", slug), slog.Int("revision", rev), slog.Duration("took", took))
	}
	if len(probs) > 0 || m.Hash != r.ContentHash {
		// It was valid when published; a stricter parser must not take a
		// module away from learners, so serve it and tell the operators.
		s.log.Warn("stored module revision no longer parses cleanly",
			slog.String("slug", slug), slog.Int("revision", rev), slog.Int("problems", len(probs)),
			slog.Bool("hash_changed", m.Hash != r.ContentHash))
	}
	return m, r, nil
}
