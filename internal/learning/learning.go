// Package learning owns what learners do with modules: enrolment, lesson
// progress, quiz attempts drawn and graded on the server, completion and
// the signed records it issues (with their expiry and revocation), and the
// feedback learners leave. It decides what "started", "completed" and
// "expired" mean; the records package only signs and renders.
package learning

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/events"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/records"
	"github.com/upskill/upskill/internal/store"
)

// Catalog is what learning needs of the published modules. The catalog
// package's Service satisfies it through CatalogOf.
type Catalog interface {
	// Current returns the current revision of a module and its number, or
	// a fault.NotFound error. Learners always move to it: an attempt drawn
	// from an older revision keeps what it showed, so no past revision is
	// ever needed here.
	Current(slug string) (*content.Module, int, error)
}

// CatalogOf adapts the catalog service to what learning needs.
func CatalogOf(c *catalog.Service) Catalog { return catalogAdapter{c} }

type catalogAdapter struct{ c *catalog.Service }

func (a catalogAdapter) Current(slug string) (*content.Module, int, error) {
	p, err := a.c.Module(slug)
	if err != nil {
		return nil, 0, err
	}
	return p.Module, p.Revision, nil
}

// Options configure a Service.
type Options struct {
	Catalog Catalog
	// Signer signs records; its Keys and Issuer also verify them.
	Signer *records.Signer
	// Now is the clock; nil means time.Now. Expiry depends on it.
	Now func() time.Time
	// Random feeds quiz draws, shuffles and choice ids; nil means
	// crypto/rand. Tests may pass a seeded reader.
	Random io.Reader
	Log    *slog.Logger
}

// Service is the learning domain. Its methods are safe for concurrent use.
type Service struct {
	db      *store.DB
	catalog Catalog
	signer  *records.Signer
	now     func() time.Time
	random  io.Reader
	log     *slog.Logger
	// Events receives record.issued, record.revoked and attempt.submitted
	// inside the transaction that causes them; nil drops them.
	Events events.Sink
	// verified remembers credentials whose signature was checked.
	verified records.VerifyCache
}

// New returns the learning service over db.
func New(db *store.DB, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Random == nil {
		opt.Random = rand.Reader
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{db: db, catalog: opt.Catalog, signer: opt.Signer, now: opt.Now, random: opt.Random, log: opt.Log}
}

// clock returns the current time as stored.
func (s *Service) clock() time.Time { return store.Timestamp(s.now()) }

// Problem types of the conflicts a client must tell apart; each is
// urn:upskill:problem:<type> on the wire.
const (
	TypePrerequisitesMissing = "prerequisites-missing"
	TypeLessonsUnfinished    = "lessons-unfinished"
	TypeAttemptsExhausted    = "attempts-exhausted"
	TypeAlreadyCompleted     = "already-completed"
	TypeNoQuiz               = "no-quiz"
	TypeAttemptSubmitted     = "attempt-submitted"
	TypeRecordRevoked        = "record-revoked"
)

// writeRetries bounds how often a write transaction is run again after it
// lost a race on one of learning's unique constraints.
const writeRetries = 5

// tx runs fn in a write transaction, running it again when another
// transaction won a race on one of learning's unique constraints (see
// store.DB.TxRetrying). fn must have no effect outside the transaction.
func (s *Service) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	err := s.db.TxRetrying(ctx, writeRetries, fn)
	if store.IsUniqueViolation(err) {
		return &fault.Error{Code: fault.Conflict, Message: "too many simultaneous requests for this; try again", Err: err}
	}
	return err
}

// current returns the current revision of a module.
func (s *Service) current(slug string) (*content.Module, int, error) {
	m, rev, err := s.catalog.Current(slug)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return nil, 0, fault.New(fault.NotFound, "no module %q", slug)
		}
		return nil, 0, err
	}
	return m, rev, nil
}

// knownID reports whether id can name one of our rows: they are UUIDs.
// Anything else (say, a NUL byte from a crafted URL, which PostgreSQL
// refuses in text) is not found without asking the database.
func knownID(id string) bool { return uuid.Validate(id) == nil }

// checkText refuses control characters other than tab and line breaks in
// free text people type (PostgreSQL refuses NUL outright).
func checkText(field, v string) *fault.FieldError {
	for _, r := range v {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return &fault.FieldError{Field: field, Message: field + " contains a control character"}
		}
	}
	return nil
}
