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
	"net/http/pprof"
	"os"
	"time"

	"github.com/upskill/upskill/internal/app/services"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/httpapi"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/notify"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/privacy"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/web"
)

// App is one running upskill process.
type App struct {
	Config config.Config
	Log    *slog.Logger
	DB     *store.DB
	HTTP   *httpapi.Server

	// Set holds the domain services (Identity, Catalog, Learning,
	// Assignments, Reports), built once by package services.
	*services.Set
	RecordKeys *keys.Set
	// Outbox delivers what the domain enqueued (mail); it runs in Serve.
	Outbox *outbox.Dispatcher
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
	opt, err := ServiceOptions(cfg, a.Log)
	if err != nil {
		return err
	}
	a.RecordKeys = opt.RecordKeys
	a.Set = services.New(a.DB, opt)
	if err := a.openCatalog(ctx); err != nil {
		return err
	}
	a.Outbox = outbox.NewDispatcher(a.DB, outbox.Options{Log: a.Log, BaseBackoff: cfg.OutboxRetryBase})
	if err := a.wireMail(ctx); err != nil {
		return err
	}
	a.wireEvidence()
	webApp, err := web.New(web.Dist())
	if err != nil {
		return err
	}
	oidcOpt, err := OIDCOptions(cfg)
	if err != nil {
		return err
	}
	a.Identity.Passwords = identity.PasswordPolicy{Off: !cfg.PasswordLogin, BreakGlass: identity.NormaliseEmail(cfg.BreakGlassAdmin)}
	a.HTTP, err = httpapi.New(httpapi.Options{
		OIDC:           oidcOpt,
		BaseURL:        cfg.BaseURL,
		CORSOrigins:    cfg.CORSOrigins,
		TrustedProxies: cfg.TrustedProxies,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		MetricsToken:   cfg.MetricsToken,
		OutboxGiveUp:   cfg.OutboxGiveUp,
		MetricsPublic:  cfg.MetricsPublic,
		RefreshTTL:     cfg.RefreshTokenTTL,
		Web:            webApp,
	}, httpapi.Deps{DB: a.DB, Log: a.Log, Identity: a.Identity, RecordKeys: a.RecordKeys,
		Catalog: a.Catalog, Learning: a.Learning, Assignments: a.Assignments, Reports: a.Reports,
		Outbox: a.Outbox, Reminders: a.Reminders, Readiness: a.Readiness, Evidence: a.Evidence,
		Policies: a.Policies, Privacy: a.Privacy})
	return err
}

// ServiceOptions reads the signing keys (creating them on first use) and
// returns what package services needs from cfg.
func ServiceOptions(cfg config.Config, log *slog.Logger) (services.Options, error) {
	jwtKeys, err := loadKeySet(cfg.JWTKeyFile, cfg.JWTVerifyKeys)
	if err != nil {
		return services.Options{}, fmt.Errorf("access-token keys: %w", err)
	}
	recordKeys, err := loadKeySet(cfg.RecordKeyFile, cfg.RecordOldKeys)
	if err != nil {
		return services.Options{}, fmt.Errorf("record keys: %w", err)
	}
	evOpt, err := EvidenceOptions(cfg)
	if err != nil {
		return services.Options{}, err
	}
	return services.Options{
		BaseURL:           cfg.BaseURL,
		JWTKeys:           jwtKeys,
		RecordKeys:        recordKeys,
		AccessTokenTTL:    cfg.AccessTokenTTL,
		RefreshTokenTTL:   cfg.RefreshTokenTTL,
		RefreshMaxAge:     cfg.RefreshMaxAge,
		RefreshReuseGrace: graceOption(cfg.RefreshReuseGrace),
		Log:               log,
		Reminders:         ReminderOptions(cfg),
		Evidence:          evOpt,
		Retention:         RetentionOptions(cfg),
	}, nil
}

// ReminderOptions are the daily digests' settings from cfg.
func ReminderOptions(cfg config.Config) notify.Options {
	return notify.Options{RemindBeforeDue: cfg.RemindBeforeDue, RemindBeforeExpiry: cfg.RemindBeforeExpiry,
		Location: cfg.Location, GiveUp: cfg.OutboxGiveUp}
}

// RetentionOptions are the retention periods from cfg.
func RetentionOptions(cfg config.Config) privacy.Retention {
	return privacy.Retention{Answers: cfg.RetainAnswers, Comments: cfg.RetainComments, AuditDetails: cfg.RetainAuditDetails}
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
		ReadHeaderTimeout: a.Config.ReadHeaderTimeout,
		ReadTimeout:       a.Config.ReadTimeout,
		WriteTimeout:      10 * time.Minute, // large report exports stream for a while
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if a.Config.PprofAddr != "" {
		stopProfiler, err := a.serveProfiler(a.Config.PprofAddr)
		if err != nil {
			srv.Close()
			return err
		}
		defer stopProfiler()
	}
	// The outbox stops with the server: deliveries in flight finish, and
	// rows claimed but not started are released for another replica.
	octx, stopOutbox := context.WithCancel(ctx)
	outboxDone := make(chan struct{})
	go func() {
		defer close(outboxDone)
		if err := a.Outbox.Run(octx); err != nil {
			a.Log.Error("outbox stopped", "err", err)
		}
	}()
	defer func() { stopOutbox(); <-outboxDone }()
	if a.Evidence != nil { // always: the scheduled events need no relay
		// Digests are only written when they can be sent: without a relay
		// they would wait in the outbox for days and then fail. The
		// scheduled events (expiry, overdue) go whenever webhooks may.
		sched := &notify.Scheduler{Service: a.Reminders, Hour: a.Config.DigestHour, Now: time.Now,
			Log: a.Log, Wake: a.Outbox.Wake, NoDigests: !a.Identity.Mail.Enabled,
			Events: a.Evidence.Scheduled(a.Reminders)}
		schedDone := make(chan struct{})
		go func() { defer close(schedDone); sched.Run(octx) }()
		defer func() { stopOutbox(); <-schedDone }()
	}
	// Retention runs in every replica's serve, one at a time (a
	// PostgreSQL advisory lock); it returns at once when no period is set.
	retention := &privacy.RetentionScheduler{Service: a.Privacy, Now: time.Now, Log: a.Log}
	retentionDone := make(chan struct{})
	go func() { defer close(retentionDone); retention.Run(octx) }()
	defer func() { stopOutbox(); <-retentionDone }()
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

// graceOption maps the setting's 0 (off) to the identity option's
// negative (off); the option's zero means the default.
func graceOption(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// serveProfiler answers Go's profiler (/debug/pprof/) on addr, a loopback
// address the configuration has checked, until the returned stop is called.
// It has its own listener and mux, so nothing of it reaches the API's.
func (a *App) serveProfiler(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("profiler: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	a.Log.Info("profiler listening", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}
