// Package app wires upskill together: it opens the database, runs the
// migrations, builds the domain services and the HTTP server, and serves
// until its context ends, shutting down gracefully.
package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/httpapi"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/records"
	"github.com/upskill/upskill/internal/reports"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/web"
)

// App is one running upskill process.
type App struct {
	Config config.Config
	Log    *slog.Logger
	DB     *store.DB
	HTTP   *httpapi.Server

	Identity   *identity.Service
	Catalog    *catalog.Service
	Learning   *learning.Service
	RecordKeys *keys.Set
	// Assignments and Reports serve HR.
	Assignments *assignments.Service
	Reports     *reports.Service
	// Handler is what Serve answers with; Open sets it to HTTP.Handler().
	Handler http.Handler
	// stopBackground ends background work (catalog refresh) before Close
	// closes the database.
	stopBackground []context.CancelFunc
}

// NewLogger returns the process logger: JSON unless format asks for text or
// is auto and w is a terminal.
func NewLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	text := format == "text"
	if format == "auto" {
		if f, ok := w.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				text = true
			}
		}
	}
	if text {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// OpenDB opens and migrates the configured database, creating the data
// directory first.
func OpenDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
	if err != nil {
		return nil, err
	}
	n, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("database migrated", "applied", n)
	}
	return db, nil
}

// Open builds the whole application.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	db, err := OpenDB(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db}
	if err := a.build(ctx); err != nil {
		a.Close()
		return nil, err
	}
	a.Handler = a.HTTP.Handler()
	return a, nil
}

// build creates the domain services and the HTTP server.
func (a *App) build(ctx context.Context) error {
	cfg := a.Config
	var err error
	a.RecordKeys, err = loadKeySet(cfg.RecordKeyFile, cfg.RecordOldKeys)
	if err != nil {
		return fmt.Errorf("record keys: %w", err)
	}
	if a.Identity, err = NewIdentity(a.DB, cfg); err != nil {
		return err
	}
	if err := a.openCatalog(ctx); err != nil {
		return err
	}
	a.Learning = learning.New(a.DB, learning.Options{
		Catalog: learning.CatalogOf(a.Catalog),
		Signer:  &records.Signer{Keys: a.RecordKeys, Issuer: cfg.BaseURL},
		Log:     a.Log,
	})
	a.Assignments = assignments.New(a.DB, assignments.Options{Catalog: assignments.CatalogOf(a.Catalog), Log: a.Log})
	a.Reports = reports.New(a.DB, reports.Options{Catalog: assignments.CatalogOf(a.Catalog), Log: a.Log})
	webApp, err := web.New(web.Dist())
	if err != nil {
		return err
	}
	a.HTTP, err = httpapi.New(httpapi.Options{
		BaseURL:        cfg.BaseURL,
		CORSOrigins:    cfg.CORSOrigins,
		TrustedProxies: cfg.TrustedProxies,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		MetricsToken:   cfg.MetricsToken,
		RefreshTTL:     cfg.RefreshTokenTTL,
		Web:            webApp,
	}, httpapi.Deps{DB: a.DB, Log: a.Log, Identity: a.Identity, RecordKeys: a.RecordKeys,
		Catalog: a.Catalog, Learning: a.Learning, Assignments: a.Assignments, Reports: a.Reports})
	return err
}

// loadKeySet reads (or on first start creates) the signing key and any
// extra verification keys.
func loadKeySet(active string, others []string) (*keys.Set, error) {
	priv, err := keys.LoadOrCreate(active)
	if err != nil {
		return nil, err
	}
	var pubs []ed25519.PublicKey
	for _, f := range others {
		pub, err := keys.LoadPublic(f)
		if err != nil {
			return nil, err
		}
		pubs = append(pubs, pub)
	}
	return keys.NewSet(priv, pubs...)
}

// Bootstrap creates the first admin when there is no user, printing a
// generated password once on w, and with demo set creates one account per
// role and prints their sign-ins.
func (a *App) Bootstrap(ctx context.Context, w io.Writer, demo bool) error {
	created, generated, err := a.Identity.Bootstrap(ctx, a.Config.AdminEmail, a.Config.AdminPassword)
	if err != nil {
		return err
	}
	email := a.Config.AdminEmail
	if email == "" {
		email = "admin@upskill.local"
	}
	switch {
	case created && generated != "":
		a.Log.Warn("created the first admin with a generated password (printed once on standard error)", "email", email)
		fmt.Fprintf(w, "\nFirst start: sign in as %s with password %s\nThis password is shown only now; change it with PUT /api/v1/me/password.\n\n", email, generated)
	case created:
		a.Log.Info("created the first admin from UPSKILL_ADMIN_EMAIL", "email", email)
	}
	if !demo {
		return nil
	}
	a.Log.Warn("DEMO MODE: demo accounts with known passwords exist; never use --demo in production")
	accounts, err := a.Identity.EnsureDemo(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Demo sign-ins (POST /api/v1/auth/login):")
	for _, acc := range accounts {
		fmt.Fprintf(w, "  %-8s %-32s %s\n", acc.Role, acc.Email, acc.Password)
	}
	return nil
}

// Serve answers HTTP on ln until ctx ends, then stops accepting, lets
// in-flight requests finish within the shutdown timeout and returns.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      10 * time.Minute, // large report exports stream for a while
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "timeout", a.Config.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		a.Log.Warn("shutdown timeout passed; closing remaining connections")
		srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// Close releases the database.
func (a *App) Close() error {
	for _, stop := range a.stopBackground {
		stop()
	}
	return a.DB.Close()
}
