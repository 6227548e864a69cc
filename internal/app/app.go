// Package app wires upskill together: it opens the database, runs the
// migrations, builds the domain services and the HTTP server, and serves
// until its context ends, shutting down gracefully.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/httpapi"
	"github.com/upskill/upskill/internal/store"
)

// App is one running upskill process.
type App struct {
	Config config.Config
	Log    *slog.Logger
	DB     *store.DB
	HTTP   *httpapi.Server
	// Handler is what Serve answers with; Open sets it to HTTP.Handler().
	Handler http.Handler
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
	a.HTTP, err = httpapi.New(httpapi.Options{
		BaseURL:        cfg.BaseURL,
		CORSOrigins:    cfg.CORSOrigins,
		TrustedProxies: cfg.TrustedProxies,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		MetricsToken:   cfg.MetricsToken,
	}, db, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.Handler = a.HTTP.Handler()
	return a, nil
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
func (a *App) Close() error { return a.DB.Close() }
