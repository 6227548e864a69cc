package identity

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

// Throttle limits password guessing. Every attempt is counted before its
// password is hashed, under three keys:
//
//   - a pair (client network, account): PairAttempts per Window, then the
//     pair waits Lockout. One person's typos lock only themselves;
//   - the client network alone: AddressAttempts per Window (a wider budget
//     for offices behind one address), then the address waits Lockout;
//   - the account alone: AccountAttempts per Window from all addresses
//     together, after which the account admits one attempt per
//     AccountDelay, so many addresses cannot guess one account quickly
//     and yet nobody can lock it for long.
//
// IPv6 clients are grouped by /64, the block one customer usually holds.
type Throttle struct {
	PairAttempts    int
	AddressAttempts int
	AccountAttempts int
	Window          time.Duration
	Lockout         time.Duration
	AccountDelay    time.Duration
}

// DefaultThrottle: 5 attempts per pair, 50 per address and 20 per account
// in 15 minutes; a pair or an address then waits 15 minutes, an account
// takes one attempt a minute.
var DefaultThrottle = Throttle{PairAttempts: 5, AddressAttempts: 50, AccountAttempts: 20,
	Window: 15 * time.Minute, Lockout: 15 * time.Minute, AccountDelay: time.Minute}

// Audit actions of the throttle; written by identity, listed like any other.
const (
	// ActionAccountUnlocked: an admin cleared an account's throttle.
	ActionAccountUnlocked = "user.unlocked"
	// ActionPasswordChangeFailed: PUT /me/password with a wrong current
	// password.
	ActionPasswordChangeFailed = "auth.password_change_failed"
)

// pruneEvery is how often one process deletes expired throttle rows.
const pruneEvery = time.Minute

type throttleRow struct {
	Key         string `gorm:"primaryKey"`
	Account     string // the email for account and pair keys, "" for addresses
	Failures    int    // attempts counted in the window (the name predates that)
	WindowStart time.Time
	LockedUntil *time.Time
}

func (throttleRow) TableName() string { return "login_throttle" }

// throttleKey is one counter an attempt is charged to.
type throttleKey struct {
	key, account string
	limit        int
	lockout      time.Duration
	pair         bool // forgotten, not refunded, after a success
}

// guessKeys are the counters of an attempt on account from clientIP, in
// the one order every transaction locks them (so two never deadlock).
func (s *Service) guessKeys(account, clientIP string) []throttleKey {
	network := clientNetwork(clientIP)
	t := s.throttle
	keys := []throttleKey{
		{key: "acct:" + account, account: account, limit: t.AccountAttempts, lockout: t.AccountDelay},
		{key: "ip:" + network, limit: t.AddressAttempts, lockout: t.Lockout},
		{key: "pair:" + network + "|" + account, account: account, limit: t.PairAttempts, lockout: t.Lockout, pair: true},
	}
	slices.SortFunc(keys, func(a, b throttleKey) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	})
	return keys
}

// clientNetwork is the throttle's name for a client address: IPv4 as is,
// IPv6 as its /64.
func clientNetwork(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// errThrottled is the answer to an attempt that may not be made yet.
func errThrottled(wait time.Duration) error {
	return &fault.Error{Code: fault.TooMany, RetryAfter: wait,
		Message: "too many failed sign-ins; try again later"}
}

// reserveGuess counts an attempt against keys before any password is
// hashed, in one write transaction that holds the keys' rows: of a burst,
// only as many as the limits allow get through, however many arrive at
// once. It answers TooMany, uncounted, while any key is locked.
func (s *Service) reserveGuess(ctx context.Context, keys []throttleKey) error {
	s.pruneThrottle(ctx)
	now := s.now()
	var wait time.Duration
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		wait = 0
		rows := make([]throttleRow, len(keys))
		for i, k := range keys {
			fresh := throttleRow{Key: k.key, Account: k.account, WindowStart: now}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&fresh).Error; err != nil {
				return err
			}
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&rows[i], "key = ?", k.key).Error; err != nil {
				return err
			}
			if l := rows[i].LockedUntil; l != nil && l.After(now) {
				wait = max(wait, l.Sub(now))
			}
		}
		if wait > 0 {
			return nil
		}
		for i, k := range keys {
			r := &rows[i]
			if now.Sub(r.WindowStart) >= s.throttle.Window {
				r.Failures, r.WindowStart = 0, now
			}
			r.Failures++
			r.LockedUntil = nil
			if r.Failures >= k.limit {
				until := now.Add(k.lockout)
				r.LockedUntil = &until
			}
			if err := tx.Model(&throttleRow{}).Where("key = ?", k.key).Updates(map[string]any{
				"failures": r.Failures, "window_start": r.WindowStart, "locked_until": r.LockedUntil}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fault.Wrap(err, "could not update the sign-in throttle")
	}
	if wait > 0 {
		return errThrottled(wait)
	}
	return nil
}

// refundGuess gives a successful attempt back to the address and the
// account, and forgets the pair: the person at that address knows the
// password. Runs inside the caller's transaction, in key order.
func refundGuess(tx *gorm.DB, keys []throttleKey) error {
	for _, k := range keys {
		var err error
		if k.pair {
			err = tx.Where("key = ?", k.key).Delete(&throttleRow{}).Error
		} else {
			err = tx.Model(&throttleRow{}).Where("key = ? AND failures > 0", k.key).
				Update("failures", gorm.Expr("failures - 1")).Error
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// pruner remembers when this process last pruned the throttle table.
type pruner struct {
	mu   sync.Mutex
	last time.Time
}

// pruneThrottle deletes rows whose window and lock have both passed, at
// most once per pruneEvery per process, so the table holds only the
// attempts of the last window. Failing to prune never fails a sign-in.
func (s *Service) pruneThrottle(ctx context.Context) {
	now := s.now()
	s.prune.mu.Lock()
	due := now.Sub(s.prune.last) >= pruneEvery || now.Before(s.prune.last)
	if due {
		s.prune.last = now
	}
	s.prune.mu.Unlock()
	if !due {
		return
	}
	_, _ = s.PruneThrottle(ctx)
}

// PruneThrottle deletes the expired throttle rows now and says how many.
func (s *Service) PruneThrottle(ctx context.Context) (int64, error) {
	now := s.now()
	stale := now.Add(-s.throttle.Window)
	q := s.db.W.WithContext(ctx)
	var res *gorm.DB
	if s.db.Dialect == store.Postgres {
		// Rows a sign-in holds are skipped, never waited for: a prune
		// must not deadlock with the transactions of reserveGuess.
		res = q.Exec(`DELETE FROM login_throttle WHERE key IN (
			SELECT key FROM login_throttle WHERE window_start <= ? AND (locked_until IS NULL OR locked_until <= ?)
			FOR UPDATE SKIP LOCKED)`, stale, now)
	} else {
		res = q.Where("window_start <= ? AND (locked_until IS NULL OR locked_until <= ?)", stale, now).
			Delete(&throttleRow{})
	}
	if res.Error != nil {
		return 0, fault.Wrap(res.Error, "could not prune the sign-in throttle")
	}
	return res.RowsAffected, nil
}

// Unlock clears every throttle counter of a user's account (from every
// address), so they can sign in at once. Admins only; audited.
func (s *Service) Unlock(ctx context.Context, actor Principal, userID string) error {
	if !actor.IsAdmin() {
		return fault.New(fault.Forbidden, "only an admin may unlock an account")
	}
	u, err := s.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	return fault.Ensure(s.db.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("account = ?", u.Email).Delete(&throttleRow{})
		if res.Error != nil {
			return res.Error
		}
		return audit.Record(ctx, tx, actor.UserID, ActionAccountUnlocked, u.ID,
			map[string]any{"email": u.Email, "cleared": res.RowsAffected})
	}), "could not unlock the account")
}
