// Package evidence sends upskill's evidence to other systems: events to
// webhook endpoints (Standard Webhooks signatures), xAPI 1.0.3 statements
// to a Learning Record Store, and completion records as Open Badges 3.0
// credentials. Events become outbox rows in their cause's transaction (see
// Emit); the outbox dispatcher delivers them at least once, in order per
// endpoint and learner.
package evidence

import (
	"crypto/rsa"
	"sync"
	"time"

	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/outbound"
	"github.com/upskill/upskill/internal/store"
)

// Outbox targets of this package.
const (
	TargetWebhook = "webhook"
	TargetXAPI    = "xapi"
)

// XAPI is the Learning Record Store; an empty Endpoint means none.
type XAPI struct {
	Endpoint string // e.g. https://lrs.example.com/xapi/ (statements are PUT to Endpoint + "statements")
	Username string
	Password string // secret: never logged
}

// Options configure the Service; zero values take the defaults in brackets.
type Options struct {
	// BaseURL is the service's public URL: the issuer, the xAPI account
	// home page and the root of activity and achievement IRIs.
	BaseURL string
	// OrgName names the issuer of badges ["upskill"].
	OrgName string
	// RecordKeys is the key material secrets are sealed under and
	// pseudonyms derived from (the record-signing key).
	RecordKeys *keys.Set
	// BadgeKey signs Open Badges (RS256); nil generates one on first use
	// (tests, throwaway processes).
	BadgeKey *rsa.PrivateKey
	// Module returns the current revision of a module, or false.
	Module func(slug string) (*content.Module, int, bool)
	// Policy guards every outbound call [nothing private allowed].
	Policy *outbound.Policy
	XAPI   XAPI
	// GiveUp is how long a delivery is retried [48h].
	GiveUp time.Duration
	// Timeout bounds one outbound call [10s].
	Timeout time.Duration
	Now     func() time.Time
}

// Service is the evidence service.
type Service struct {
	db  *store.DB
	opt Options

	badgeOnce sync.Once
	badgeKey  *rsa.PrivateKey
	badgeErr  error
}

// New returns the service.
func New(db *store.DB, opt Options) *Service {
	if opt.OrgName == "" {
		opt.OrgName = "upskill"
	}
	if opt.Policy == nil {
		opt.Policy = outbound.MustParse("")
	}
	if opt.GiveUp <= 0 {
		opt.GiveUp = 48 * time.Hour
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Module == nil {
		opt.Module = func(string) (*content.Module, int, bool) { return nil, 0, false }
	}
	return &Service{db: db, opt: opt, badgeKey: opt.BadgeKey}
}

// XAPIEnabled reports whether statements are sent to an LRS.
func (s *Service) XAPIEnabled() bool { return s.opt.XAPI.Endpoint != "" }

func (s *Service) now() time.Time { return store.Timestamp(s.opt.Now()) }
