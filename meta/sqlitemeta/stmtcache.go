package sqlitemeta

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds a statement cache: the store's statements are
// constants, but a few are assembled from optional filters, and a cache
// that could grow without bound is a leak.
const maxCachedStmts = 1024

// stmtCache keeps one prepared statement per SQL text on a pool. The
// modernc driver parses the SQL of every ExecContext/QueryContext again and
// parsing was half of the planner's time; a prepared statement is parsed
// once per connection and then only bound and stepped.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

// lookup returns the cached statement of q, or nil.
func (c *stmtCache) lookup(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[q]
}

// prepare returns the statement of q, preparing it on the pool first. It
// must not be called while the caller holds the pool's only connection (in
// a write transaction): preparing needs a connection.
func (c *stmtCache) prepare(ctx context.Context, q string) *sql.Stmt {
	if st := c.lookup(q); st != nil {
		return st
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil // the plain call reports the error
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[q]; old != nil {
		st.Close()
		return old
	}
	if len(c.m) >= maxCachedStmts {
		st.Close()
		return nil
	}
	c.m[q] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = map[string]*sql.Stmt{}
}

// poolQuerier runs statements on a pool through its cache.
type poolQuerier struct{ c *stmtCache }

func (q poolQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.c.prepare(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.c.db.ExecContext(ctx, query, args...)
}

func (q poolQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.c.prepare(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.c.db.QueryContext(ctx, query, args...)
}

func (q poolQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.c.prepare(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.c.db.QueryRowContext(ctx, query, args...)
}

// txQuerier runs statements in a write transaction. A statement already
// prepared on the writer connection is reused as is (Tx.StmtContext finds
// it on the transaction's connection); one that is not is prepared on the
// transaction, kept for the rest of it, and prepared on the pool after the
// commit (the pool's one connection is free again then), for the next
// transactions.
type txQuerier struct{ s *Store }

// txCache is a write transaction's statements; a transaction's Store may
// be shared by goroutines, as a *sql.Tx may.
type txCache struct {
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending []string // prepared on the transaction only
}

func (q txQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	s, c := q.s, q.s.txc
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[query]; st != nil {
		return st
	}
	var st *sql.Stmt
	if parent := s.wc.lookup(query); parent != nil {
		st = s.tx.StmtContext(ctx, parent)
	} else {
		var err error
		if st, err = s.tx.PrepareContext(ctx, query); err != nil {
			return nil
		}
		c.pending = append(c.pending, query)
	}
	if len(c.m) < maxCachedStmts {
		c.m[query] = st
	}
	return st
}

func (q txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.s.tx.ExecContext(ctx, query, args...)
}

func (q txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.s.tx.QueryContext(ctx, query, args...)
}

func (q txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.s.tx.QueryRowContext(ctx, query, args...)
}
