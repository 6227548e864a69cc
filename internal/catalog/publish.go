package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// publishAttempts bounds the retries when another process took the next
// revision number first; each retry sees the winner's revision, so a
// handful of concurrent publishers of one module all get through.
const publishAttempts = 12

// PublishResult says what a publish did.
type PublishResult struct {
	Slug     string
	Revision int    // the new revision, or the current one when unchanged
	Hash     string // content hash of that revision
	Created  bool   // false: the content equals the current revision's
	// Warnings of the module (files relative to it): they never stop a
	// publish.
	Warnings []content.Problem
}

// Publish stores mod as the next revision of its slug and makes it current,
// unless its content equals the current revision's (then nothing changes
// and Created is false). mod is parsed again from its files, so a module
// with any problem, or whose prerequisites do not fit the published
// catalog, is refused with a fault.Invalid error listing the problems in
// Ext["problems"] (files relative to the module folder); nothing changes
// then. The event is audited in the same transaction.
func (s *Service) Publish(ctx context.Context, mod *content.Module, actorID string) (PublishResult, error) {
	if mod == nil {
		return PublishResult{}, fault.New(fault.Invalid, "no module to publish")
	}
	m, probs := content.Parse(content.FilesFS(mod.Files), mod.Slug, s.opt)
	if len(probs) > 0 {
		return PublishResult{}, invalid(mod.Slug, probs)
	}
	var (
		res PublishResult
		at  time.Time
		err error
	)
	for attempt := 1; ; attempt++ {
		res, at, err = s.publishOnce(ctx, m, actorID)
		if err == nil || !store.IsUniqueViolation(err) {
			break
		}
		if attempt == publishAttempts {
			return PublishResult{}, &fault.Error{Code: fault.Conflict, Err: err,
				Message: fmt.Sprintf("module %q is being published by someone else right now; try again", m.Slug)}
		}
		// Jitter so that losers of one round do not collide again.
		select {
		case <-ctx.Done():
			return PublishResult{}, fault.Wrap(ctx.Err(), "publish of %q cancelled", m.Slug)
		case <-time.After(time.Duration(rand.IntN(5*attempt)+1) * time.Millisecond):
		}
	}
	if err != nil {
		if fault.CodeOf(err) != fault.Internal {
			return PublishResult{}, err
		}
		return PublishResult{}, fault.Wrap(err, "could not publish module %q", m.Slug)
	}
	// An unchanged publish may still tell this process of a revision another
	// replica made: m has the same content, so it serves as that revision.
	s.install(&Published{Module: m, Revision: res.Revision, PublishedAt: at})
	res.Warnings = m.Warnings
	return res, nil
}

// publishOnce is one attempt in one write transaction. It returns gorm's
// unique-violation error unwrapped so that Publish can retry.
func (s *Service) publishOnce(ctx context.Context, m *content.Module, actorID string) (PublishResult, time.Time, error) {
	res := PublishResult{Slug: m.Slug, Hash: m.Hash}
	var at time.Time
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var mods []moduleRow
		if err := tx.Find(&mods).Error; err != nil {
			return err
		}
		known := make(map[string][]string, len(mods))
		for _, r := range mods {
			known[r.Slug] = r.Prerequisites
		}
		// Checked here rather than against the snapshot: another replica
		// may have published since this process last refreshed.
		if probs := content.ValidateCatalog([]*content.Module{m}, known); len(probs) > 0 {
			return invalid(m.Slug, relativeTo(m.Slug, probs))
		}
		var clash []string
		if err := tx.Model(&docRow{}).Where("slug = ?", m.Slug).Limit(1).Pluck("kind", &clash).Error; err != nil {
			return err
		}
		if len(clash) > 0 {
			return invalid(m.Slug, []content.Problem{{File: "module.md", Message: fmt.Sprintf(
				"%q is already a %s slug; modules, paths, pulses and policies share one namespace", m.Slug, clash[0])}})
		}
		// One slug namespace: a policy's slug is not a module's.
		var policies int64
		if err := tx.Table("policy_revisions").Where("slug = ?", m.Slug).Count(&policies).Error; err != nil {
			return err
		}
		if policies > 0 {
			return invalid(m.Slug, []content.Problem{{File: "module.md", Message: fmt.Sprintf(
				"%q is already a policy slug; modules and policies share one namespace", m.Slug)}})
		}
		// The newest revision is the current one. Its number and hash come
		// from one statement: under PostgreSQL's READ COMMITTED two
		// statements may see different commits, and a publisher could miss
		// an identical revision committed in between.
		var last revisionRow
		err := tx.Where("slug = ?", m.Slug).Order("revision DESC").Take(&last).Error
		if err != nil && !store.IsNotFound(err) {
			return err
		}
		if err == nil && last.ContentHash == m.Hash {
			res.Revision, at = last.Revision, last.PublishedAt
			return nil
		}
		at = store.Timestamp(s.now())
		rev, err := storeRevision(tx, m, last.Revision+1, at, actorID)
		if err != nil {
			return err
		}
		res.Revision, res.Created = rev.Revision, true
		return audit.Record(ctx, tx, actorID, audit.ContentPublished, m.Slug, map[string]any{
			"revision": rev.Revision, "content_hash": m.Hash, "title": m.Title,
		})
	})
	return res, at, err
}

// storeRevision writes m as revision number rev with its files and points
// the module at it. The guard on the pointer keeps a slower transaction
// from moving it back.
func storeRevision(tx *gorm.DB, m *content.Module, number int, at time.Time, actorID string) (revisionRow, error) {
	rev := revisionRow{ID: uuid.NewString(), Slug: m.Slug, Revision: number, ContentHash: m.Hash,
		Title: m.Title, Summary: m.Summary, PublishedAt: at}
	if actorID != "" {
		rev.PublishedBy = &actorID
	}
	if err := tx.Create(&rev).Error; err != nil {
		return rev, err
	}
	files := make([]fileRow, 0, len(m.Files))
	for p, data := range m.Files {
		files = append(files, fileRow{RevisionID: rev.ID, Path: p, Data: data})
	}
	// Small batches: one image may be megabytes.
	if err := tx.CreateInBatches(files, 16).Error; err != nil {
		return rev, err
	}
	prereqs := m.Prerequisites
	if prereqs == nil {
		prereqs = []string{}
	}
	return rev, tx.Exec(`INSERT INTO modules (slug, current_revision, content_hash, prerequisites, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (slug) DO UPDATE SET current_revision = excluded.current_revision,
			content_hash = excluded.content_hash, prerequisites = excluded.prerequisites,
			updated_at = excluded.updated_at
		WHERE modules.current_revision < excluded.current_revision`,
		m.Slug, rev.Revision, m.Hash, mustJSON(prereqs), at).Error
}

// TypeInvalidContent is the problem type of a module that may not be
// published; its problems are in the "problems" extension.
const TypeInvalidContent = "invalid-content"

// invalid is the error for a module that may not be published.
func invalid(slug string, probs []content.Problem) error {
	content.SortProblems(probs)
	msg := fmt.Sprintf("module %q has %d problems; nothing was published", slug, len(probs))
	if len(probs) == 1 {
		p := probs[0]
		msg = fmt.Sprintf("module %q was not published: %s:%d: %s", slug, p.File, p.Line, p.Message)
	}
	return &fault.Error{Code: fault.Invalid, Type: TypeInvalidContent, Message: msg,
		Ext: map[string]any{"problems": probs}}
}

// ProblemsOf returns the content problems an Invalid error from this
// package carries, or nil.
func ProblemsOf(err error) []content.Problem {
	e := fault.As(err)
	ps, _ := e.Ext["problems"].([]content.Problem)
	return ps
}

// relativeTo makes catalog problems ("slug/module.md") name files inside
// the module folder, like the parser's.
func relativeTo(slug string, probs []content.Problem) []content.Problem {
	for i := range probs {
		probs[i].File = strings.TrimPrefix(probs[i].File, slug+"/")
	}
	return probs
}

func mustJSON(v []string) string {
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// InvalidContent is the error for a module with problems (files relative
// to the module folder): fault.Invalid, the problems in Ext["problems"].
func InvalidContent(slug string, probs []content.Problem) error { return invalid(slug, probs) }
