package catalog

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
)

// Imported is what ImportDir did with one module folder.
type Imported struct {
	Slug     string
	Revision int  // 0 when not published
	Created  bool // a new revision was made
	// Problems name files relative to the imported folder
	// ("ai-pilots/quiz.md"); the module was not published when there are any.
	Problems []content.Problem
	// Kept is set when the folder was not published because the module's
	// newest revision was published through the API: publishing the folder
	// would silently replace a trainer's work. LastImported is the newest
	// revision the import made (0: none).
	Kept, LastImported int
}

// ImportOptions tune ImportDir.
type ImportOptions struct {
	// Force publishes folders even over a revision published through the
	// API (`upskill content import --force`).
	Force bool
}

// ImportDir publishes every module folder under dir (a folder holding a
// module.md). A module with problems is logged and skipped, and so is one
// whose prerequisites end up missing because of it; the others are
// published, prerequisites first. Unchanged modules make no revision, so
// every replica may import the same folder at start. The error is only for
// a folder that cannot be read or a database failure, never for content.
//
// The import never replaces a trainer's work silently: when a module's
// newest revision was published through the API (it has a publisher; the
// import publishes as nobody) and differs from the folder, the folder is
// not published and a warning names both revisions, unless opt.Force.
func (s *Service) ImportDir(ctx context.Context, dir string, opt ImportOptions) ([]Imported, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read content folder: %w", err)
	}
	if err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	var out []*Imported
	bySlug := map[string]*Imported{}
	var good []*content.Module
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || content.Reserved(e.Name()) || !content.IsModuleDir(sub) {
			continue
		}
		m, probs := content.Parse(os.DirFS(sub), e.Name(), s.opt)
		r := &Imported{Slug: e.Name(), Problems: inFolder(e.Name(), probs)}
		out = append(out, r)
		bySlug[r.Slug] = r
		if len(probs) == 0 {
			good = append(good, m)
		}
	}
	good = s.dropUnfit(good, bySlug)
	for _, m := range prerequisitesFirst(good) {
		r := bySlug[m.Slug]
		if !opt.Force {
			kept, last, err := s.apiRevision(ctx, m)
			if err != nil {
				return flatten(out), err
			}
			if kept > 0 {
				r.Kept, r.LastImported = kept, last
				continue
			}
		}
		res, err := s.Publish(ctx, m, "")
		switch {
		case err == nil:
			r.Revision, r.Created = res.Revision, res.Created
		case fault.CodeOf(err) == fault.Invalid:
			r.Problems = inFolder(m.Slug, ProblemsOf(err))
		default:
			return flatten(out), err
		}
	}
	for _, r := range out {
		s.logImport(r)
	}
	docs, err := s.importDocs(ctx, dir)
	return flatten(append(out, docs...)), err
}

// dropUnfit checks the prerequisites of the modules about to be published
// against each other and the published catalog. Dropping a module can leave
// another with a missing prerequisite, so it repeats until nothing changes.
func (s *Service) dropUnfit(good []*content.Module, bySlug map[string]*Imported) []*content.Module {
	known := s.Known()
	for {
		probs := content.ValidateCatalog(good, known)
		bad := map[string]bool{}
		for _, p := range probs {
			slug, _, _ := strings.Cut(p.File, "/")
			if r, ok := bySlug[slug]; ok {
				r.Problems = append(r.Problems, p)
				bad[slug] = true
			}
		}
		if len(bad) == 0 {
			return good
		}
		good = slices.DeleteFunc(good, func(m *content.Module) bool { return bad[m.Slug] })
	}
}

// prerequisitesFirst orders mods so each comes after the prerequisites it
// shares with mods; dropUnfit has ruled out cycles.
func prerequisitesFirst(mods []*content.Module) []*content.Module {
	bySlug := map[string]*content.Module{}
	for _, m := range mods {
		bySlug[m.Slug] = m
	}
	slices.SortFunc(mods, func(a, b *content.Module) int { return cmp.Compare(a.Slug, b.Slug) })
	done := map[string]bool{}
	var out []*content.Module
	var visit func(m *content.Module)
	visit = func(m *content.Module) {
		if done[m.Slug] {
			return
		}
		done[m.Slug] = true
		for _, p := range m.Prerequisites {
			if pm, ok := bySlug[p]; ok {
				visit(pm)
			}
		}
		out = append(out, m)
	}
	for _, m := range mods {
		visit(m)
	}
	return out
}

// apiRevision returns the newest revision of m's module when it was
// published through the API and differs from m, with the newest revision
// the import made; kept is 0 when the folder may be published.
func (s *Service) apiRevision(ctx context.Context, m *content.Module) (kept, lastImported int, err error) {
	var newest []revisionRow
	db := s.db.R.WithContext(ctx)
	if err := db.Where("slug = ?", m.Slug).Order("revision DESC").Limit(1).Find(&newest).Error; err != nil {
		return 0, 0, fault.Wrap(err, "could not read module %q", m.Slug)
	}
	if len(newest) == 0 || newest[0].PublishedBy == nil || newest[0].ContentHash == m.Hash {
		return 0, 0, nil
	}
	var last []int
	err = db.Model(&revisionRow{}).Where("slug = ? AND published_by IS NULL", m.Slug).
		Order("revision DESC").Limit(1).Pluck("revision", &last).Error
	if err != nil {
		return 0, 0, fault.Wrap(err, "could not read module %q", m.Slug)
	}
	if len(last) == 1 {
		lastImported = last[0]
	}
	return newest[0].Revision, lastImported, nil
}

func (s *Service) logImport(r *Imported) {
	if r.Kept > 0 {
		s.log.Warn("module folder not imported: its newest revision was published through the API",
			slog.String("slug", r.Slug), slog.Int("api_revision", r.Kept), slog.Int("last_imported_revision", r.LastImported),
			slog.String("fix", "copy the API's revision into the folder, or run upskill content import --force to publish the folder over it"))
		return
	}
	if len(r.Problems) == 0 {
		s.log.Info("module imported", slog.String("slug", r.Slug), slog.Int("revision", r.Revision), slog.Bool("new_revision", r.Created))
		return
	}
	for _, p := range r.Problems {
		s.log.Warn("content problem", slog.String("slug", r.Slug),
			slog.String("problem", fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)))
	}
	s.log.Warn("module not published: fix its problems", slog.String("slug", r.Slug), slog.Int("problems", len(r.Problems)))
}

// inFolder makes problems name files relative to the imported folder.
func inFolder(slug string, probs []content.Problem) []content.Problem {
	out := make([]content.Problem, len(probs))
	for i, p := range probs {
		p.File = path.Join(slug, strings.TrimPrefix(p.File, slug+"/"))
		out[i] = p
	}
	content.SortProblems(out)
	return out
}

func flatten(rs []*Imported) []Imported {
	out := make([]Imported, len(rs))
	for i, r := range rs {
		content.SortProblems(r.Problems)
		out[i] = *r
	}
	slices.SortFunc(out, func(a, b Imported) int { return cmp.Compare(a.Slug, b.Slug) })
	return out
}
