package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

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
}

func (moduleRow) TableName() string { return "modules" }

// Refresh brings the snapshot up to date with the database. It first
// compares the current revision numbers with the snapshot's, which costs
// one small query, and parses only the modules whose revision changed:
// call it as often as you like. Replicas call it on a timer (Watch) to pick
// up what others published.
func (s *Service) Refresh(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []moduleRow
	if err := s.db.R.WithContext(ctx).Select("slug", "current_revision").Order("slug").Find(&rows).Error; err != nil {
		return fault.Wrap(err, "could not read the catalog")
	}
	old := s.snap.Load()
	if sameRevisions(old, rows) {
		return nil
	}
	mods := make(map[string]*Published, len(rows))
	for _, r := range rows {
		if p, ok := old.bySlug[r.Slug]; ok && p.Revision == r.CurrentRevision {
			mods[r.Slug] = p
			continue
		}
		m, rev, err := s.load(ctx, s.db.R, r.Slug, r.CurrentRevision)
		if err != nil {
			return err
		}
		mods[r.Slug] = &Published{Module: m, Revision: rev.Revision, PublishedAt: rev.PublishedAt}
	}
	s.snap.Store(newSnapshot(mods))
	s.log.Info("catalog loaded", slog.Int("modules", len(mods)))
	return nil
}

func sameRevisions(snap *snapshot, rows []moduleRow) bool {
	if len(snap.bySlug) != len(rows) {
		return false
	}
	for _, r := range rows {
		if p, ok := snap.bySlug[r.Slug]; !ok || p.Revision != r.CurrentRevision {
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
// from its stored files. Past revisions are cached: they never change.
func (s *Service) Revision(ctx context.Context, slug string, rev int) (*content.Module, error) {
	if p, ok := s.snap.Load().bySlug[slug]; ok && p.Revision == rev {
		return p.Module, nil
	}
	key := fmt.Sprintf("%s@%d", slug, rev)
	if m, ok := s.past.get(key); ok {
		return m, nil
	}
	m, _, err := s.load(ctx, s.db.R, slug, rev)
	if err != nil {
		return nil, err
	}
	s.past.put(key, m)
	return m, nil
}

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
	m, probs := content.Parse(content.FilesFS(files), slug, s.opt)
	if len(probs) > 0 || m.Hash != r.ContentHash {
		// It was valid when published; a stricter parser must not take a
		// module away from learners, so serve it and tell the operators.
		s.log.Warn("stored module revision no longer parses cleanly",
			slog.String("slug", slug), slog.Int("revision", rev), slog.Int("problems", len(probs)),
			slog.Bool("hash_changed", m.Hash != r.ContentHash))
	}
	return m, r, nil
}
