// Package sqlitemeta is the metadata store on SQLite, Kiln's embedded
// default: one database file in WAL mode, written through a single
// connection and read through a pool, on the pure-Go modernc.org/sqlite
// driver.
package sqlitemeta

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/migrate"
)

// Defaults of the connection pools.
const (
	// DefaultBusyTimeout is how long a connection waits on another
	// process's lock before SQLITE_BUSY.
	DefaultBusyTimeout = 10 * time.Second
	// DefaultMaxReaders caps the read pool; it is at least this many, or the
	// number of CPUs when there are more.
	DefaultMaxReaders = 4
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite metadata store. SQLite allows one writer at a time, so
// every write goes through a pool of exactly one connection whose
// transactions begin IMMEDIATE: writers from many goroutines queue in
// database/sql instead of failing with SQLITE_BUSY or deadlocking on a lock
// upgrade. Reads outside transactions use a separate read-only pool, which
// WAL lets run beside the writer.
type Store struct {
	wdb *sql.DB
	rdb *sql.DB
	tx  *sql.Tx // set on the Store that InTx hands to its function
	// wc and rc cache prepared statements on the two pools, txc those of
	// the transaction (see txQuerier).
	wc, rc *stmtCache
	txc    *txCache
	caps   *capCache // per-version max_concurrent, for claims
}

var _ meta.Store = (*Store)(nil)

// Open opens or creates the database file at path and brings its schema up
// to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlite metadata store: %q is not a plain file path", path)
	}
	pragmas := []string{
		"busy_timeout(" + strconv.FormatInt(DefaultBusyTimeout.Milliseconds(), 10) + ")",
		"foreign_keys(1)",
	}
	wdb, err := openDB(ctx, path, url.Values{
		// A 64 MiB page cache on the writer (SQLite's default is 2 MiB, taken
		// only as used): a planning transaction of tens of thousands of
		// instances otherwise spills pages to the WAL mid-transaction. The
		// statement journal of multi-row inserts stays in memory too.
		"_pragma": slices.Concat(pragmas, []string{"journal_mode(WAL)", "synchronous(NORMAL)", "cache_size(-65536)",
			"temp_store(2)"}),
		"_txlock": {"immediate"},
	}, 1)
	if err != nil {
		return nil, err
	}
	if _, err := migrate.Up(ctx, wdb, mustSub(migrations, "migrations"), nil); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite metadata store %s: %w", path, err)
	}
	rdb, err := openDB(ctx, path, url.Values{
		"_pragma": slices.Concat(pragmas, []string{"query_only(1)"}),
	}, max(DefaultMaxReaders, runtime.NumCPU()))
	if err != nil {
		wdb.Close()
		return nil, err
	}
	return &Store{wdb: wdb, rdb: rdb, wc: newStmtCache(wdb), rc: newStmtCache(rdb), caps: &capCache{}}, nil
}

func openDB(ctx context.Context, path string, q url.Values, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite metadata store %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite metadata store %s: %w", path, err)
	}
	return db, nil
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant the embed directive guarantees
	}
	return sub
}

// Close closes the database. On the Store inside InTx it does nothing.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	s.wc.close()
	s.rc.close()
	return errors.Join(s.rdb.Close(), s.wdb.Close())
}

// InTx runs fn in one write transaction; a nested call joins it.
func (s *Store) InTx(ctx context.Context, fn func(tx meta.Store) error) error {
	return s.write(ctx, func(tx *Store) error { return fn(tx) })
}

// write runs fn in the current transaction, or in a new write transaction
// that commits when fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit; undoes everything on error or panic
	txc := &txCache{m: map[string]*sql.Stmt{}}
	if err := fn(&Store{wdb: s.wdb, rdb: s.rdb, wc: s.wc, rc: s.rc, tx: tx, txc: txc, caps: s.caps}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, q := range txc.pending { // the writer is free again: prepare for next time
		s.wc.prepare(ctx, q)
	}
	return nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// r is where reads go: the transaction, or the read pool.
func (s *Store) r() querier {
	if s.tx != nil {
		return txQuerier{s}
	}
	return poolQuerier{s.rc}
}

// w is where single-statement writes go: the transaction, or the writer.
func (s *Store) w() querier {
	if s.tx != nil {
		return txQuerier{s}
	}
	return poolQuerier{s.wc}
}

// wrap turns driver errors into the sentinels callers branch on, saying
// what was being done; what reads like `project "edu"`.
func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, meta.ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%s already exists: %w", what, meta.ErrConflict)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%s: it refers to a row that does not exist: %w", what, meta.ErrNotFound)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// mustAffect turns an UPDATE or DELETE that touched no row into ErrNotFound.
func mustAffect(res sql.Result, err error, what string) error {
	if err != nil {
		return wrap(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(err, what)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, meta.ErrNotFound)
	}
	return nil
}
