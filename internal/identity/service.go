package identity

import (
	"context"
	"crypto/rand"
	"time"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// Audience is the aud claim of upskill access tokens.
const Audience = "upskill-api"

// Service owns users, sessions and access.
type Service struct {
	db            *store.DB
	tokens        *TokenIssuer
	refreshTTL    time.Duration
	refreshMaxAge time.Duration
	reuseGrace    time.Duration
	throttle      Throttle
	prune         pruner
	params        Params
	now           func() time.Time
	// hashSlots bounds concurrent argon2id work: each hash takes 64 MiB.
	hashSlots chan struct{}
	// onVerify, when set, is called for every password check (tests count
	// them).
	onVerify func()
	// OnMembership is called inside the transaction that creates users or
	// changes their department, so standing assignments can follow them.
	OnMembership func(ctx context.Context, tx *gorm.DB, userIDs []string) error
	// Mail connects invitations and password resets to outbound mail.
	Mail MailHooks
	// Passwords says who may sign in with a password (single sign-on can
	// turn passwords off for all but a break-glass admin).
	Passwords PasswordPolicy
	// auth caches verified tokens and callers (see authcache.go).
	auth authCache
}

// Options configure a Service.
type Options struct {
	Tokens     *TokenIssuer
	RefreshTTL time.Duration
	// RefreshMaxAge is the absolute lifetime of a login, however often it
	// is refreshed; zero: DefaultRefreshMaxAge.
	RefreshMaxAge time.Duration
	// RefreshReuseGrace is how long after its rotation a refresh token may
	// be presented again for one sibling; zero: DefaultRefreshReuseGrace,
	// negative: no grace.
	RefreshReuseGrace time.Duration
	Throttle          Throttle
	Params            Params           // zero: DefaultParams
	Now               func() time.Time // nil: time.Now
	// OnPasswordCheck, when set, is called before every argon2 run: a
	// password compared (a sign-in, a password change) or a new one hashed.
	OnPasswordCheck func()
}

// DefaultRefreshMaxAge is how long a login lasts at most: 90 days.
const DefaultRefreshMaxAge = 90 * 24 * time.Hour

// DefaultRefreshReuseGrace is how long a rotated refresh token still gets
// one sibling: 10 seconds, enough for two tabs refreshing together.
const DefaultRefreshReuseGrace = 10 * time.Second

// New returns the identity service.
func New(db *store.DB, opt Options) *Service {
	if opt.RefreshTTL == 0 {
		opt.RefreshTTL = 30 * 24 * time.Hour
	}
	if opt.RefreshMaxAge == 0 {
		opt.RefreshMaxAge = DefaultRefreshMaxAge
	}
	if opt.RefreshReuseGrace == 0 {
		opt.RefreshReuseGrace = DefaultRefreshReuseGrace
	}
	if opt.Throttle == (Throttle{}) {
		opt.Throttle = DefaultThrottle
	}
	if opt.Params == (Params{}) {
		opt.Params = DefaultParams()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Service{db: db, tokens: opt.Tokens, refreshTTL: opt.RefreshTTL, refreshMaxAge: opt.RefreshMaxAge,
		reuseGrace: opt.RefreshReuseGrace,
		throttle:   opt.Throttle, params: opt.Params, now: func() time.Time { return opt.Now().UTC() },
		hashSlots: make(chan struct{}, 4), onVerify: opt.OnPasswordCheck}
}

// Tokens returns the access-token issuer.
func (s *Service) Tokens() *TokenIssuer { return s.tokens }

func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.release()
	if s.onVerify != nil {
		s.onVerify()
	}
	h, err := s.params.Hash(rand.Reader, pw)
	if err != nil {
		return "", fault.Wrap(err, "could not hash the password")
	}
	return h, nil
}

// hashNewPassword checks pw against the password policy, naming field when
// it fails, and hashes it.
func (s *Service) hashNewPassword(ctx context.Context, field, pw string) (string, error) {
	if err := CheckPasswordPolicy(pw); err != nil {
		return "", fieldErr(field, err)
	}
	return s.hash(ctx, pw)
}

// verify checks pw against hash, or does the same work against a dummy
// when there is no hash, so that timing does not reveal accounts.
func (s *Service) verify(ctx context.Context, hash *string, pw string) (bool, error) {
	if err := s.acquire(ctx); err != nil {
		return false, err
	}
	defer s.release()
	if s.onVerify != nil {
		s.onVerify()
	}
	if hash == nil {
		DummyVerify(pw)
		return false, nil
	}
	ok, err := VerifyPassword(*hash, pw)
	if err != nil {
		return false, fault.Wrap(err, "stored password hash is unreadable")
	}
	return ok, nil
}

func (s *Service) acquire(ctx context.Context) error {
	select {
	case s.hashSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fault.New(fault.Unavailable, "the request was cancelled while waiting")
	}
}

func (s *Service) release() { <-s.hashSlots }

// errBadToken is the one answer for every unusable access token.
var errBadToken = fault.New(fault.Unauthorized, "the access token is missing, malformed, expired or not valid")

// Authenticate turns an access token into the caller. A disabled user or a
// role change takes effect at once: the caller is read from the database,
// or from a cache that any such change invalidates in the same transaction
// (see authcache.go); the token's login must still be live, so logging out,
// reusing a spent refresh token or changing the password ends the access
// tokens of the logins it revokes too, not only their refresh tokens.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	v, ok := s.auth.token(token, s.tokens.now())
	if !ok {
		claims, err := s.tokens.Parse(token)
		if err != nil {
			return Principal{}, errBadToken
		}
		v = verifiedToken{subject: claims.Subject, session: claims.SessionID, expires: claims.ExpiresAt.Time}
		s.auth.putToken(token, v, s.tokens.now())
	}
	// On SQLite the store's AuthWatch says when the cached caller may be
	// stale; elsewhere the caller is read each time.
	var gen uint64
	trusted := false
	if w := s.db.AuthWatch(); w != nil {
		gen, trusted = w.Snapshot()
	}
	key := principalKey(v.subject, v.session)
	if trusted {
		if p, ok := s.auth.principal(key, gen); ok {
			return p, nil
		}
	}
	p, err := s.loadPrincipal(ctx, v.subject, v.session)
	if err != nil {
		return Principal{}, err
	}
	if trusted {
		s.auth.putPrincipal(key, p, gen)
	}
	return p, nil
}

// loadPrincipal reads the caller: refused when the user is gone or
// disabled, or when the token's login (session) has been revoked.
func (s *Service) loadPrincipal(ctx context.Context, userID, session string) (Principal, error) {
	var u User
	q := s.db.R.WithContext(ctx).Select("id", "name", "roles", "disabled").Where("id = ? AND erased_at IS NULL", userID)
	if session != "" {
		q = q.Where(`EXISTS (SELECT 1 FROM refresh_tokens r
			WHERE r.family_id = ? AND r.user_id = users.id AND r.revoked_at IS NULL)`, session)
	}
	err := q.Take(&u).Error
	if store.IsNotFound(err) || (err == nil && u.Disabled) {
		return Principal{}, errBadToken
	}
	if err != nil {
		return Principal{}, fault.Wrap(err, "could not load the caller")
	}
	return Principal{UserID: u.ID, Name: u.Name, Roles: u.Roles, SessionID: session}, nil
}

// GetUser returns one user.
func (s *Service) GetUser(ctx context.Context, id string) (User, error) {
	var u User
	err := s.db.R.WithContext(ctx).Take(&u, "id = ?", id).Error
	if store.IsNotFound(err) {
		return u, fault.New(fault.NotFound, "no user %q", id)
	}
	if err != nil {
		return u, fault.Wrap(err, "could not load user")
	}
	return u, nil
}
