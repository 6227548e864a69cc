package catalog

import (
	"context"
	"regexp"

	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
)

// versionRE is the "v" the renderer puts on asset URLs: the first 12 hex
// digits of the revision's content hash.
var versionRE = regexp.MustCompile(`^[0-9a-f]{12}$`)

// Asset returns the image file ("chart.png", under assets/) of the module
// slug. version is the URL's "v": it names the revision whose page linked
// the image, so a learner still on a past revision sees that revision's
// images. exact reports that version named a revision, so these bytes
// will never change for this URL; otherwise the current revision answers.
func (s *Service) Asset(ctx context.Context, slug, file, version string) (a content.Asset, exact bool, err error) {
	cur, err := s.Module(slug)
	if err != nil {
		return a, false, err
	}
	m := cur.Module
	exact = version != "" && version == m.Hash[:12]
	if !exact && versionRE.MatchString(version) {
		var revs []int
		err := s.db.R.WithContext(ctx).Model(&revisionRow{}).
			Where("slug = ? AND content_hash LIKE ?", slug, version+"%").
			Order("revision DESC").Limit(1).Pluck("revision", &revs).Error
		if err != nil {
			return a, false, fault.Wrap(err, "could not look up module %q", slug)
		}
		if len(revs) == 1 {
			if m, err = s.Revision(ctx, slug, revs[0]); err != nil {
				return a, false, err
			}
			exact = true
		}
	}
	a, ok := m.Assets["assets/"+file]
	if !ok {
		return a, false, fault.New(fault.NotFound, "module %q has no image %q", slug, file)
	}
	return a, exact, nil
}
