package app

import (
	"context"
	"time"

	"github.com/upskill/upskill/internal/catalog"
)

// catalogRefresh is how often a replica reloads modules others published.
const catalogRefresh = 30 * time.Second

// openCatalog loads the published modules, imports the content folder and
// keeps the catalog in step with other replicas until ctx ends or Close. Content
// problems never stop the start: they are logged, and the modules already
// published stay served.
func (a *App) openCatalog(ctx context.Context) error {
	if err := a.Catalog.Refresh(ctx); err != nil {
		return err
	}
	if dir := a.Config.ContentDir; dir != "" {
		if _, err := a.Catalog.ImportDir(ctx, dir, catalog.ImportOptions{}); err != nil {
			a.Log.Warn("content import failed; serving the modules already published",
				"content_dir", dir, "error", err.Error())
		}
		if err := a.Policies.ImportDir(ctx, dir); err != nil {
			a.Log.Warn("policy import failed; serving the policies already published",
				"content_dir", dir, "error", err.Error())
		}
	}
	bg, cancel := context.WithCancel(ctx)
	a.stopBackground = append(a.stopBackground, cancel)
	a.Catalog.Watch(bg, catalogRefresh)
	return nil
}
