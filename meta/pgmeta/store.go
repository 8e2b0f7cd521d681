// Package pgmeta is the metadata store on Postgres, for running several
// Kiln servers and workers against one database. It uses pgx's pool
// directly; workers claim queued instances with FOR UPDATE SKIP LOCKED.
package pgmeta

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateLock keys the advisory lock that keeps servers starting together
// from migrating at once ("kiln" in ASCII).
const migrateLock = `SELECT pg_advisory_xact_lock(1802071150)`

// Store is the Postgres metadata store.
type Store struct {
	pool *pgxpool.Pool
	tx   pgx.Tx // set on the Store that InTx hands to its function
}

var _ meta.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// string; pool settings such as pool_max_conns may be added to it) and
// brings its schema up to date.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres metadata store: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres metadata store: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres metadata store %s: %w", cfg.ConnConfig.Host, err)
	}
	db := stdlib.OpenDBFromPool(pool) // closing it leaves the pool open
	defer db.Close()
	if _, err := migrate.Up(ctx, db, mustSub(migrations, "migrations"), &migrate.Options{Lock: migrateLock}); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres metadata store: %w", err)
	}
	return &Store{pool: pool}, nil
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant the embed directive guarantees
	}
	return sub
}

// Close closes the pool. On the Store inside InTx it does nothing.
func (s *Store) Close() error {
	if s.tx == nil {
		s.pool.Close()
	}
	return nil
}

// InTx runs fn in one transaction; a nested call joins it.
func (s *Store) InTx(ctx context.Context, fn func(tx meta.Store) error) error {
	return s.write(ctx, func(tx *Store) error { return fn(tx) })
}

// write runs fn in the current transaction, or in a new one that commits
// when fn returns nil.
//
// A transaction Postgres aborts as a deadlock victim or a serialization
// failure (two writers locking rollup rows in opposite orders, say) runs
// again from the start, up to three times, after a short random pause; fn
// must only touch the database (it is re-run in a fresh transaction).
func (s *Store) write(ctx context.Context, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	for attempt := 1; ; attempt++ {
		err := s.writeOnce(ctx, fn)
		var pe *pgconn.PgError
		if attempt >= 4 || !errors.As(err, &pe) || (pe.Code != "40P01" && pe.Code != "40001") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt*5+rand.IntN(20)) * time.Millisecond):
		}
	}
}

func (s *Store) writeOnce(ctx context.Context, fn func(tx *Store) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback(ctx) // a no-op after Commit; undoes everything on error or panic
	if err := fn(&Store{pool: s.pool, tx: tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// querier is what the pool and a transaction share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// q is where statements go: the transaction, or the pool.
func (s *Store) q() querier {
	if s.tx != nil {
		return s.tx
	}
	return s.pool
}

// wrap turns driver errors into the sentinels callers branch on, saying
// what was being done; what reads like `project "edu"`.
func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, meta.ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%s already exists: %w", what, meta.ErrConflict)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%s: it refers to a row that does not exist: %w", what, meta.ErrNotFound)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// mustAffect turns an UPDATE or DELETE that touched no row into ErrNotFound.
func mustAffect(tag pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return wrap(err, what)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", what, meta.ErrNotFound)
	}
	return nil
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect reads every row of a query with scan.
func collect[T any](rows pgx.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// where builds a WHERE clause with numbered placeholders.
type where struct {
	conds []string
	args  []any
}

// add appends a condition whose one %d is its placeholder's number.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, fmt.Sprintf(cond, len(w.args)))
}

// next returns the placeholder for one more argument.
func (w *where) next(arg any) string {
	w.args = append(w.args, arg)
	return fmt.Sprintf("$%d", len(w.args))
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(w.conds, " AND ")
}
