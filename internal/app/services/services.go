// Package services builds upskill's domain services once, connected the way
// the running service connects them. serve (through internal/app), every
// CLI command and the HTTP tests use it, so one process holds exactly one
// identity, catalog, learning, assignments and reports service, and a new
// connection between them is written here and nowhere else.
//
// It lives below internal/app, not in it, because internal/app also builds
// the HTTP server: the httpapi tests could not import app without a cycle.
package services

import (
	"context"
	"io"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/evidence"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/notify"
	"github.com/upskill/upskill/internal/policies"
	"github.com/upskill/upskill/internal/privacy"
	"github.com/upskill/upskill/internal/readiness"
	"github.com/upskill/upskill/internal/records"
	"github.com/upskill/upskill/internal/reports"
	"github.com/upskill/upskill/internal/store"
)

// Options are what the services need from the configuration and, in tests,
// the clock and the random source.
type Options struct {
	// BaseURL is the issuer of access tokens and of completion records.
	BaseURL string
	// JWTKeys sign and verify access tokens; RecordKeys sign and verify
	// completion records.
	JWTKeys, RecordKeys *keys.Set
	// AccessTokenTTL and RefreshTokenTTL: zero means the identity defaults.
	AccessTokenTTL, RefreshTokenTTL time.Duration
	// RefreshMaxAge is a login's absolute lifetime; zero: the identity default.
	RefreshMaxAge time.Duration
	// RefreshReuseGrace: zero, the identity default; negative, none.
	RefreshReuseGrace time.Duration
	// Params are the argon2id costs; zero means identity.DefaultParams.
	Params identity.Params
	// Now is the clock (nil: time.Now); Random feeds quiz draws (nil:
	// crypto/rand).
	Now    func() time.Time
	Random io.Reader
	Log    *slog.Logger // nil: discard
	// TuneIdentity, when set, changes the identity options last (tests: a
	// hook, other limits).
	TuneIdentity func(*identity.Options)
	// Reminders tunes the daily digests (zero: the notify defaults).
	Reminders notify.Options
	// Evidence tunes webhooks, xAPI and Open Badges; BaseURL, RecordKeys,
	// Now and the catalog are filled in here.
	Evidence evidence.Options
	// Retention periods of answers, comments and audit details (zero:
	// kept for ever).
	Retention privacy.Retention
}

// Set is the domain services of one process.
type Set struct {
	Identity    *identity.Service
	Catalog     *catalog.Service
	Learning    *learning.Service
	Assignments *assignments.Service
	Reports     *reports.Service
	// Reminders plans the daily digests and keeps people's notification
	// settings.
	Reminders *notify.Service
	// Readiness serves pulses and the readiness and adoption reports.
	Readiness *readiness.Service
	// Evidence turns events into webhook deliveries and xAPI statements,
	// and records into Open Badges.
	Evidence *evidence.Service
	// Policies are the versioned policy documents and acknowledgements.
	Policies *policies.Service
	// Privacy exports and erases people's data and applies retention; a
	// package that adds a table about people registers its kind here.
	Privacy *privacy.Service
}

// New builds the services on db. The catalog starts empty: call
// Catalog.Refresh (Open does) before serving from it.
func New(db *store.DB, opt Options) *Set {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.AccessTokenTTL == 0 {
		opt.AccessTokenTTL = 15 * time.Minute
	}
	s := &Set{}
	idOpt := identity.Options{
		Tokens: &identity.TokenIssuer{Keys: opt.JWTKeys, Issuer: opt.BaseURL, Audience: identity.Audience,
			TTL: opt.AccessTokenTTL, Now: opt.Now},
		RefreshTTL:        opt.RefreshTokenTTL,
		RefreshMaxAge:     opt.RefreshMaxAge,
		RefreshReuseGrace: opt.RefreshReuseGrace,
		Params:            opt.Params,
		Now:               opt.Now,
	}
	if opt.TuneIdentity != nil {
		opt.TuneIdentity(&idOpt)
	}
	s.Identity = identity.New(db, idOpt)
	s.Catalog = catalog.New(db, catalog.Options{Log: opt.Log})
	modules := assignments.CatalogOf(s.Catalog)
	s.Learning = learning.New(db, learning.Options{
		Catalog: learning.CatalogOf(s.Catalog),
		Signer:  &records.Signer{Keys: opt.RecordKeys, Issuer: opt.BaseURL},
		Now:     opt.Now,
		Random:  opt.Random,
		Log:     opt.Log,
	})
	s.Assignments = assignments.New(db, assignments.Options{Catalog: modules, Now: opt.Now, Log: opt.Log})
	s.Reports = reports.New(db, reports.Options{Catalog: modules, Now: opt.Now, Log: opt.Log})
	s.Reminders = notify.New(db, modules, opt.Reminders)
	s.Readiness = readiness.New(db, opt.Now)
	// Standing assignment rules follow people into a department in the
	// transaction that creates, imports or moves them: through the API and
	// the command line alike, and through the one assignments service.
	s.Identity.OnMembership = s.Assignments.ApplyRules
	// Events leave in the transaction of their cause (internal/evidence).
	evOpt := opt.Evidence
	evOpt.BaseURL, evOpt.RecordKeys, evOpt.Now = opt.BaseURL, opt.RecordKeys, opt.Now
	evOpt.Module = func(slug string) (*content.Module, int, bool) {
		p, err := s.Catalog.Module(slug)
		if err != nil {
			return nil, 0, false
		}
		return p.Module, p.Revision, true
	}
	s.Evidence = evidence.New(db, evOpt)
	s.Learning.Events = s.Evidence.Emit
	s.Assignments.Events = s.Evidence.Emit
	// Privacy and policies: unacknowledged policies join the digest, and
	// every kind of personal data is registered with privacy (the core
	// kinds by privacy.New; other packages' kinds below).
	s.Policies = policies.New(db, policies.Options{Now: opt.Now, Log: opt.Log})
	s.Reminders.AddSource(s.Policies.Reminders)
	s.Privacy = privacy.New(db, privacy.Options{Signer: &records.Signer{Keys: opt.RecordKeys, Issuer: opt.BaseURL},
		Now: opt.Now, Log: opt.Log, Retention: opt.Retention})
	registerPersonalData(s.Privacy)
	return s
}

// registerPersonalData tells privacy about the tables other packages keep
// about people: how to export and erase each, or why a table needs
// neither. The coverage test in internal/privacy fails for a table that
// refers to people and is missing here.
func registerPersonalData(p *privacy.Service) {
	p.Register(privacy.Kind{
		// Readiness answers go to the person only, never to an admin's
		// export of them; erasure deletes them (aggregates change by them).
		Name: "pulse_answers", Tables: []string{"pulse_answers"}, SelfOnly: true,
		Export: func(ctx context.Context, db *gorm.DB, sub privacy.Subject) (privacy.Table, error) {
			return privacy.QueryTable(ctx, db, nil, `SELECT pulse, phase, item, value, revision, answered_at
  FROM pulse_answers WHERE user_id = ? ORDER BY pulse, phase, item`, sub.UserID)
		},
		Erase: privacy.DeleteRows("pulse_answers", "user_id = ?"),
	})
	p.Register(privacy.Kind{
		// The identity provider's subject is an identifier of the person.
		Name: "single_sign_on", Tables: []string{"oidc_links"},
		Export: func(ctx context.Context, db *gorm.DB, sub privacy.Subject) (privacy.Table, error) {
			return privacy.QueryTable(ctx, db, nil, `SELECT issuer, subject, created_at
  FROM oidc_links WHERE user_id = ? ORDER BY created_at, issuer`, sub.UserID)
		},
		Erase: privacy.DeleteRows("oidc_links", "user_id = ?"),
	})
	p.Register(privacy.Kind{
		Name: "groups", Tables: []string{"scim_group_members"},
		Export: func(ctx context.Context, db *gorm.DB, sub privacy.Subject) (privacy.Table, error) {
			return privacy.QueryTable(ctx, db, nil, `SELECT g.id, g.display_name FROM scim_group_members m
  JOIN scim_groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY g.display_name`, sub.UserID)
		},
		Erase: privacy.DeleteRows("scim_group_members", "user_id = ?"),
	})
	p.Exempt("scim_tokens", "created_by is the id of the admin who made the token; no personal data")
	p.Exempt("webhooks", "created_by is the id of the admin who registered the endpoint; no personal data")
	p.Exempt("content_docs", "published_by is the id of who published a path or pulse; no personal data")
}

// Open builds the services and loads the published modules into the
// catalog.
func Open(ctx context.Context, db *store.DB, opt Options) (*Set, error) {
	s := New(db, opt)
	if err := s.Catalog.Refresh(ctx); err != nil {
		return nil, err
	}
	return s, nil
}
