package app

import (
	"context"
	"time"

	"github.com/upskill/upskill/internal/catalog"
)

// catalogRefresh is how often a replica reloads modules others published,
// in case a notification on CatalogChannel was missed.
const catalogRefresh = 30 * time.Second

// CatalogChannel is the PostgreSQL channel a change of the published
// modules is notified on.
const CatalogChannel = "upskill_catalog"

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
	// On PostgreSQL a publish on any replica is notified (migration 00016's
	// trigger on modules): reload at once, the poll above is the fallback.
	a.DB.Listen(bg, CatalogChannel, func() {
		if err := a.Catalog.Refresh(bg); err != nil && bg.Err() == nil {
			a.Log.Warn("catalog refresh after a notification failed", "error", err.Error())
		}
	})
	return nil
}
