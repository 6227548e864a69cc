package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/upskill/upskill/internal/content"
)

// CheckUpload reads an uploaded module (path -> content) the way Publish
// will: it refuses paths that have no place in a module (.., absolute
// paths, backslashes, anything outside module.md, quiz.md, lessons/ and
// assets/), parses the rest and checks the prerequisites against this
// process's catalog. Problems name files relative to the module, sorted by
// file and line; the module is returned even with problems.
func (s *Service) CheckUpload(slug string, files map[string][]byte) (*content.Module, []content.Problem) {
	m, probs := s.checkFiles(slug, files)
	probs = append(probs, s.catalogProblems(m)...)
	content.SortProblems(probs)
	return m, probs
}

// PublishUpload publishes an uploaded module when CheckUpload finds no
// problem in it; otherwise it returns a fault.Invalid error listing every
// problem and changes nothing. The prerequisites of a module that parses
// cleanly are checked by Publish against the database, not this process's
// catalog, which may lag behind another replica's publish.
func (s *Service) PublishUpload(ctx context.Context, slug string, files map[string][]byte, actorID string) (PublishResult, error) {
	m, probs := s.checkFiles(slug, files)
	if len(probs) > 0 {
		return PublishResult{}, invalid(slug, append(probs, s.catalogProblems(m)...))
	}
	return s.Publish(ctx, m, actorID)
}

// checkFiles checks the paths of an upload and parses the files that have
// a place in a module.
func (s *Service) checkFiles(slug string, files map[string][]byte) (*content.Module, []content.Problem) {
	if len(files) > content.MaxFiles {
		// Refused before any path is checked or file parsed.
		return &content.Module{Slug: slug}, []content.Problem{{File: ".",
			Message: fmt.Sprintf("%d files; a module may hold at most %d", len(files), content.MaxFiles)}}
	}
	probs := []content.Problem{}
	clean := make(map[string][]byte, len(files))
	for p, data := range files {
		if err := content.CheckUploadPath(p); err != nil {
			probs = append(probs, content.Problem{File: p, Message: err.Error()})
			continue
		}
		clean[p] = data
	}
	start := time.Now()
	m, ps := content.Parse(content.FilesFS(clean), slug, s.opt)
	if took := time.Since(start); took > slowParse {
		// A last-resort signal that the limits checked before parsing need
		// another look; it never decides whether content is valid.
		s.log.Warn("slow module parse", slog.String("slug", slug), slog.Duration("took", took))
	}
	return m, append(probs, ps...)
}

// catalogProblems checks m's prerequisites against the snapshot.
func (s *Service) catalogProblems(m *content.Module) []content.Problem {
	return relativeTo(m.Slug, content.ValidateCatalog([]*content.Module{m}, s.Known()))
}
