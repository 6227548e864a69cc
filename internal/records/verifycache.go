package records

import (
	"sync"
	"time"

	"github.com/upskill/upskill/internal/keys"
)

// VerifyCache remembers credentials whose signature VerifyAt has checked,
// so the public verification of a record costs a database read but no
// second signature check. A credential never changes once signed; only
// the not-before date depends on the time, and it is checked again on
// every hit. It holds at most maxVerified credentials, starting again
// empty when full. The zero value is ready to use.
type VerifyCache struct {
	mu sync.RWMutex
	m  map[verifyKey]Claims
}

type verifyKey struct {
	credential, issuer string
	set                *keys.Set
}

const maxVerified = 4096

// VerifyAt is the package's VerifyAt, from the cache when it can be.
func (v *VerifyCache) VerifyAt(credential string, set *keys.Set, issuer string, now time.Time) (*Claims, error) {
	k := verifyKey{credential: credential, issuer: issuer, set: set}
	v.mu.RLock()
	c, ok := v.m[k]
	v.mu.RUnlock()
	if ok && (c.NotBefore == nil || !now.Add(clockSkew).Before(c.NotBefore.Time)) {
		return &c, nil
	}
	got, err := VerifyAt(credential, set, issuer, now)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if v.m == nil || len(v.m) >= maxVerified {
		v.m = map[verifyKey]Claims{}
	}
	v.m[k] = *got
	v.mu.Unlock()
	return got, nil
}
