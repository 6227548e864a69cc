package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// Kinds of content_docs: learning paths and readiness pulses, each one
// Markdown file with front matter.
const (
	KindPath  = "path"
	KindPulse = "pulse"
)

// docRow is one published revision of a path or pulse.
type docRow struct {
	Kind        string
	Slug        string
	Revision    int
	ContentHash string
	Source      string
	PublishedAt time.Time
	PublishedBy *string
}

func (docRow) TableName() string { return "content_docs" }

// PublishedPath is the current revision of a learning path.
type PublishedPath struct {
	*content.Path
	Revision    int
	PublishedAt time.Time
}

// PublishedPulse is the current revision of a readiness pulse.
type PublishedPulse struct {
	*content.Pulse
	Revision    int
	PublishedAt time.Time
}

// currentDocs reads the newest revision of every doc of kind, by slug.
func currentDocs(ctx context.Context, db *gorm.DB, kind string) ([]docRow, error) {
	var rows []docRow
	err := db.WithContext(ctx).Raw(`SELECT d.* FROM content_docs d
		WHERE d.kind = ? AND d.revision = (SELECT MAX(n.revision) FROM content_docs n WHERE n.kind = d.kind AND n.slug = d.slug)
		ORDER BY d.slug`, kind).Scan(&rows).Error
	if err != nil {
		return nil, fault.Wrap(err, "could not read the published %ss", kind)
	}
	return rows, nil
}

// Paths reads the current revision of every learning path from db (a
// transaction or the service's readers), by slug. Paths are few and small:
// reading them where they are needed keeps every replica in step without
// a snapshot.
func Paths(ctx context.Context, db *gorm.DB) ([]PublishedPath, error) {
	rows, err := currentDocs(ctx, db, KindPath)
	if err != nil {
		return nil, err
	}
	out := make([]PublishedPath, 0, len(rows))
	for _, r := range rows {
		// Checked when published; parsed again without the module check,
		// since a module may have been archived since.
		p, _ := content.ParsePath("paths/"+r.Slug+".md", r.Slug, []byte(r.Source), nil)
		out = append(out, PublishedPath{Path: p, Revision: r.Revision, PublishedAt: r.PublishedAt.UTC()})
	}
	return out, nil
}

// Pulses reads the current revision of every pulse from db, by slug.
func Pulses(ctx context.Context, db *gorm.DB) ([]PublishedPulse, error) {
	rows, err := currentDocs(ctx, db, KindPulse)
	if err != nil {
		return nil, err
	}
	out := make([]PublishedPulse, 0, len(rows))
	for _, r := range rows {
		p, _ := content.ParsePulse("pulses/"+r.Slug+".md", r.Slug, []byte(r.Source), nil)
		out = append(out, PublishedPulse{Pulse: p, Revision: r.Revision, PublishedAt: r.PublishedAt.UTC()})
	}
	return out, nil
}

// Paths returns the current learning paths, by slug.
func (s *Service) Paths(ctx context.Context) ([]PublishedPath, error) { return Paths(ctx, s.db.R) }

// Pulses returns the current pulses, by slug.
func (s *Service) Pulses(ctx context.Context) ([]PublishedPulse, error) { return Pulses(ctx, s.db.R) }

// PublishDoc publishes src as the next revision of the path or pulse slug,
// unless it equals the current revision. A path's modules must be
// published modules; a pulse's "for" must name published modules or
// paths; neither may take a slug another kind holds (one namespace). A
// doc with problems is refused with fault.Invalid (problems in
// Ext["problems"], files named "paths/<slug>.md" or "pulses/<slug>.md").
func (s *Service) PublishDoc(ctx context.Context, kind, slug string, src []byte, actorID string) (PublishResult, error) {
	file := kind + "s/" + slug + ".md"
	var res PublishResult
	err := s.db.TxRetrying(ctx, publishAttempts, func(tx *gorm.DB) error {
		res = PublishResult{Slug: slug}
		var mods []string
		if err := tx.Model(&moduleRow{}).Pluck("slug", &mods).Error; err != nil {
			return err
		}
		known := map[string]bool{}
		for _, m := range mods {
			known[m] = true
		}
		var others []struct{ Kind, Slug string }
		if err := tx.Model(&docRow{}).Distinct("kind", "slug").Find(&others).Error; err != nil {
			return err
		}
		var probs []content.Problem
		if known[slug] {
			probs = append(probs, content.Problem{File: file, Message: fmt.Sprintf("%q is already a module slug; modules, paths, pulses and policies share one namespace", slug)})
		}
		for _, o := range others {
			if o.Slug == slug && o.Kind != kind {
				probs = append(probs, content.Problem{File: file, Message: fmt.Sprintf("%q is already a %s slug; modules, paths, pulses and policies share one namespace", slug, o.Kind)})
			}
		}
		var policies int64
		if err := tx.Table("policy_revisions").Where("slug = ?", slug).Count(&policies).Error; err != nil {
			return err
		}
		if policies > 0 {
			probs = append(probs, content.Problem{File: file, Message: fmt.Sprintf("%q is already a policy slug; modules, paths, pulses and policies share one namespace", slug)})
		}
		var hash string
		switch kind {
		case KindPath:
			p, ps := content.ParsePath(file, slug, src, known)
			probs, hash = append(probs, ps...), p.Hash
		case KindPulse:
			for _, o := range others {
				if o.Kind == KindPath {
					known[o.Slug] = true
				}
			}
			delete(known, slug)
			p, ps := content.ParsePulse(file, slug, src, known)
			probs, hash = append(probs, ps...), p.Hash
		default:
			return fault.New(fault.Invalid, "unknown kind %q", kind)
		}
		if len(probs) > 0 {
			content.SortProblems(probs)
			return invalid(slug, probs)
		}
		res.Hash = hash
		var last docRow
		err := tx.Where("kind = ? AND slug = ?", kind, slug).Order("revision DESC").Take(&last).Error
		if err != nil && !store.IsNotFound(err) {
			return err
		}
		if err == nil && last.ContentHash == hash {
			res.Revision = last.Revision
			return nil
		}
		row := docRow{Kind: kind, Slug: slug, Revision: last.Revision + 1, ContentHash: hash,
			Source: string(src), PublishedAt: store.Timestamp(s.now())}
		if actorID != "" {
			row.PublishedBy = &actorID
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		res.Revision, res.Created = row.Revision, true
		return audit.Record(ctx, tx, actorID, audit.ContentPublished, file, map[string]any{
			"kind": kind, "revision": row.Revision, "content_hash": hash})
	})
	if err != nil {
		return PublishResult{}, fault.Ensure(err, "could not publish %s %q", kind, slug)
	}
	return res, nil
}

// importDocs publishes every paths/<slug>.md, then every
// pulses/<slug>.md, under dir (paths first: a pulse may name them).
func (s *Service) importDocs(ctx context.Context, dir string) ([]*Imported, error) {
	var out []*Imported
	for _, kind := range []string{KindPath, KindPulse} {
		folder := filepath.Join(dir, kind+"s")
		entries, err := os.ReadDir(folder)
		if err != nil {
			continue // none of this kind
		}
		for _, e := range entries {
			slug, ok := strings.CutSuffix(e.Name(), ".md")
			if e.IsDir() || !ok || strings.HasPrefix(slug, ".") {
				continue
			}
			r := &Imported{Slug: kind + "s/" + slug}
			out = append(out, r)
			src, err := os.ReadFile(filepath.Join(folder, e.Name()))
			if err != nil {
				r.Problems = []content.Problem{{File: r.Slug + ".md", Message: err.Error()}}
				continue
			}
			res, err := s.PublishDoc(ctx, kind, slug, src, "")
			switch {
			case err == nil:
				r.Revision, r.Created = res.Revision, res.Created
				s.log.Info(kind+" imported", slog.String("slug", slug), slog.Int("revision", res.Revision), slog.Bool("new_revision", res.Created))
			case fault.CodeOf(err) == fault.Invalid:
				r.Problems = ProblemsOf(err)
				for _, p := range r.Problems {
					s.log.Warn("content problem", slog.String("slug", slug),
						slog.String("problem", fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)))
				}
			default:
				return out, err
			}
		}
	}
	return out, nil
}

// PathsWith returns the slugs of the paths (of those given) that include
// module.
func PathsWith(paths []PublishedPath, module string) []PublishedPath {
	var out []PublishedPath
	for _, p := range paths {
		if slices.Contains(p.Modules, module) {
			out = append(out, p)
		}
	}
	return out
}
