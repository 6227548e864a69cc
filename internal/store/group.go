package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"gorm.io/gorm"
)

// groupCommit runs SQLite write transactions in groups: the requests that
// queued while the writer was busy run one after another in one
// transaction, each inside a savepoint of its own, so one that fails is
// rolled back alone, and the group pays for one commit. Every caller is
// answered only after the commit (or with its error): an acknowledged
// write is as durable as one committed alone. Within the group the
// requests run serially, so each sees what the ones before it wrote, as if
// they had committed one by one.
type groupCommit struct {
	w     *gorm.DB
	queue chan *txRequest
	stop  chan struct{}
	done  chan struct{}
	// mu guards closed: nothing is queued once close has begun.
	mu     sync.RWMutex
	closed bool
}

type txRequest struct {
	ctx      context.Context
	fn       func(tx *gorm.DB) error
	err      error
	panicked any
	done     chan struct{}
}

// maxGroup bounds how many requests share one commit.
const maxGroup = 64

// errNothingToCommit rolls back a group in which every request failed.
var errNothingToCommit = errors.New("store: every request of the group failed")

func startGroupCommit(w *gorm.DB) *groupCommit {
	g := &groupCommit{w: w, queue: make(chan *txRequest, maxGroup), stop: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g
}

// tx queues fn and waits for its group's outcome. After close it runs fn
// on its own.
func (g *groupCommit) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	r := &txRequest{ctx: ctx, fn: fn, done: make(chan struct{})}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return g.w.WithContext(ctx).Transaction(fn)
	}
	select {
	case g.queue <- r:
		g.mu.RUnlock()
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
	<-r.done
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

func (g *groupCommit) run() {
	defer close(g.done)
	for {
		var first *txRequest
		select {
		case first = <-g.queue:
		case <-g.stop:
			// Answer whatever is still queued, one by one.
			for {
				select {
				case r := <-g.queue:
					g.commit([]*txRequest{r})
				default:
					return
				}
			}
		}
		batch := []*txRequest{first}
	fill:
		for len(batch) < maxGroup {
			select {
			case r := <-g.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		g.commit(batch)
	}
}

func (g *groupCommit) commit(batch []*txRequest) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	if len(batch) == 1 {
		// Alone: the caller's own transaction, under its context.
		r := batch[0]
		r.err = guarded(r, func() error { return g.w.WithContext(r.ctx).Transaction(r.fn) })
		return
	}
	ok := 0
	err := g.w.Transaction(func(tx *gorm.DB) error {
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil {
				r.err = err
				continue
			}
			// A nested Transaction is a savepoint: rolled back alone on error.
			r.err = guarded(r, func() error { return tx.WithContext(r.ctx).Transaction(r.fn) })
			if r.err == nil {
				ok++
			}
		}
		if ok == 0 {
			return errNothingToCommit
		}
		return nil
	})
	if err != nil && !errors.Is(err, errNothingToCommit) {
		for _, r := range batch {
			if r.err == nil {
				r.err = fmt.Errorf("store: commit: %w", err)
			}
		}
	}
}

// guarded runs f, turning a panic into an error for the group and keeping
// the value to panic with again in the caller's goroutine.
func guarded(r *txRequest, f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			r.panicked = v
			err = fmt.Errorf("store: transaction panicked: %v", v)
		}
	}()
	return f()
}

func (g *groupCommit) close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	g.mu.Unlock()
	close(g.stop)
	<-g.done
}
