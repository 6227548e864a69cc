package identity

import (
	"sync"
	"time"
)

// authCache keeps what Authenticate learnt, so a request costs neither a
// signature check nor a database read:
//
//   - tokens: an access token's verified subject and session, until the
//     token expires (a signature, once checked, stays good);
//   - principals: who a (user, session) pair is, and that the session is
//     live, tagged with the store's AuthWatch generation. Any change to a
//     user's roles, name or disabled flag, or a revoked login, advances the
//     generation (see store.AuthWatch and migration 00016), so an entry of
//     an older generation is never used.
//
// Both maps are bounded; when one is full its expired entries go, and if
// that is not enough it starts again empty.
type authCache struct {
	mu         sync.RWMutex
	tokens     map[string]verifiedToken
	principals map[string]cachedPrincipal
}

type verifiedToken struct {
	subject, session string
	expires          time.Time
}

type cachedPrincipal struct {
	p   Principal
	gen uint64
}

const maxCachedAuth = 1 << 16

func (c *authCache) token(tok string, now time.Time) (verifiedToken, bool) {
	c.mu.RLock()
	v, ok := c.tokens[tok]
	c.mu.RUnlock()
	// The same leeway as Parse allows on exp.
	if !ok || now.After(v.expires.Add(clockSkew)) {
		return verifiedToken{}, false
	}
	return v, true
}

func (c *authCache) putToken(tok string, v verifiedToken, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens == nil {
		c.tokens = map[string]verifiedToken{}
	}
	if len(c.tokens) >= maxCachedAuth {
		for k, e := range c.tokens {
			if now.After(e.expires.Add(clockSkew)) {
				delete(c.tokens, k)
			}
		}
		if len(c.tokens) >= maxCachedAuth {
			clear(c.tokens)
		}
	}
	c.tokens[tok] = v
}

func principalKey(userID, session string) string { return userID + "\x00" + session }

func (c *authCache) principal(key string, gen uint64) (Principal, bool) {
	c.mu.RLock()
	e, ok := c.principals[key]
	c.mu.RUnlock()
	if !ok || e.gen != gen {
		return Principal{}, false
	}
	return e.p, true
}

func (c *authCache) putPrincipal(key string, p Principal, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.principals == nil || len(c.principals) >= maxCachedAuth {
		c.principals = map[string]cachedPrincipal{}
	}
	c.principals[key] = cachedPrincipal{p: p, gen: gen}
}
