package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/upskill/upskill/internal/app"
	"github.com/upskill/upskill/internal/app/services"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/store"
)

// The one way a command opens the database. withDB refuses a database that
// does not exist yet (only serve and migrate create one), and every command
// says on standard error which database it used, so a command run from the
// wrong folder fails loudly instead of filling a new, empty database.

// withDB resolves the configuration, opens the existing database, runs fn
// and closes the database.
func (e *env) withDB(cmd *cobra.Command, fn func(ctx context.Context, cfg config.Config, log *slog.Logger, db *store.DB) error) error {
	return e.openDB(cmd, app.OpenExistingDB, fn)
}

// withNewDB is withDB for migrate: it creates the database when there is none.
func (e *env) withNewDB(cmd *cobra.Command, fn func(ctx context.Context, cfg config.Config, db *store.DB) error) error {
	return e.openDB(cmd, app.OpenDB, func(ctx context.Context, cfg config.Config, _ *slog.Logger, db *store.DB) error {
		return fn(ctx, cfg, db)
	})
}

type opener func(context.Context, config.Config, *slog.Logger) (*store.DB, error)

func (e *env) openDB(cmd *cobra.Command, open opener, fn func(ctx context.Context, cfg config.Config, log *slog.Logger, db *store.DB) error) error {
	cfg, log, err := e.loadConfig(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	db, err := e.open(ctx, open, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(ctx, cfg, log, db)
}

// openExisting opens the existing database for a command that resolved its
// configuration itself; the caller closes it.
func (e *env) openExisting(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	return e.open(ctx, app.OpenExistingDB, cfg, log)
}

func (e *env) open(ctx context.Context, open opener, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	db, err := open(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stderr, "upskill: database %s\n", app.DatabaseName(cfg))
	return db, nil
}

// withServices opens the existing database and builds the domain services
// exactly as serve does, with the published modules loaded. Commands sign
// neither access tokens nor records, so they never read or create the key
// files: the services get throwaway keys that exist only in memory.
func (e *env) withServices(cmd *cobra.Command, fn func(ctx context.Context, s *services.Set) error) error {
	return e.withDB(cmd, func(ctx context.Context, cfg config.Config, log *slog.Logger, db *store.DB) error {
		jwtKeys, err := throwawayKeys()
		if err != nil {
			return err
		}
		recordKeys, err := throwawayKeys()
		if err != nil {
			return err
		}
		s, err := services.Open(ctx, db, services.Options{BaseURL: cfg.BaseURL, JWTKeys: jwtKeys, RecordKeys: recordKeys,
			AccessTokenTTL: cfg.AccessTokenTTL, RefreshTokenTTL: cfg.RefreshTokenTTL, RefreshMaxAge: cfg.RefreshMaxAge, Log: log,
			Reminders: app.ReminderOptions(cfg)})
		if err != nil {
			return err
		}
		// Mail the command queues (an import's invitations) is sent by the
		// running server's outbox; the command only needs to know whether
		// a relay is configured.
		relay, err := app.MailSettings(ctx, cfg)
		if err != nil {
			return err
		}
		s.Identity.Mail = identity.MailHooks{Enabled: relay != nil, BaseURL: cfg.BaseURL, GiveUp: cfg.OutboxGiveUp}
		return fn(ctx, s)
	})
}

func throwawayKeys() (*keys.Set, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return keys.NewSet(priv)
}
