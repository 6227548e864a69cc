// Package clock is a settable clock for tests: services take a
// `func() time.Time`, and tests pass a Settable's Now so that expiry,
// due dates and token lifetimes can be moved exactly.
package clock

import (
	"sync"
	"time"
)

// Settable is a clock that only moves when told to; safe for concurrent use.
type Settable struct {
	mu  sync.Mutex
	now time.Time
}

// At returns a clock standing at t.
func At(t time.Time) *Settable { return &Settable{now: t} }

// Now returns the clock's time.
func (c *Settable) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Settable) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set puts the clock at t.
func (c *Settable) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
