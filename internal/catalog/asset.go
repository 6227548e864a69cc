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
//
// A past revision's image is read straight from its stored files, never by
// parsing that revision: the route is public, and parsing is the costly part.
func (s *Service) Asset(ctx context.Context, slug, file, version string) (a content.Asset, exact bool, err error) {
	cur, err := s.Lookup(slug)
	if err != nil {
		return a, false, err
	}
	if version == "" || version == cur.Hash[:12] || !versionRE.MatchString(version) {
		a, ok := cur.Assets["assets/"+file]
		if !ok {
			return a, false, fault.New(fault.NotFound, "module %q has no image %q", slug, file)
		}
		return a, version == cur.Hash[:12], nil
	}
	var revs []revisionRow
	err = s.db.R.WithContext(ctx).Select("id").Where("slug = ? AND content_hash LIKE ?", slug, version+"%").
		Order("revision DESC").Limit(1).Find(&revs).Error
	if err != nil {
		return a, false, fault.Wrap(err, "could not look up module %q", slug)
	}
	if len(revs) == 0 {
		a, ok := cur.Assets["assets/"+file]
		if !ok {
			return a, false, fault.New(fault.NotFound, "module %q has no image %q", slug, file)
		}
		return a, false, nil
	}
	ctype := content.AssetType(file)
	var rows []fileRow
	if ctype != "" {
		err = s.db.R.WithContext(ctx).Where("revision_id = ? AND path = ?", revs[0].ID, "assets/"+file).Limit(1).Find(&rows).Error
		if err != nil {
			return a, false, fault.Wrap(err, "could not read module %q", slug)
		}
	}
	if len(rows) == 0 {
		return a, false, fault.New(fault.NotFound, "module %q has no image %q in that revision", slug, file)
	}
	// Publishing checked that the bytes match the extension.
	return content.Asset{ContentType: ctype, Data: rows[0].Data}, true, nil
}
