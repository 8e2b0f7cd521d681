// Package migrate applies numbered SQL migrations, embedded in the binary
// with one folder per SQL dialect, to a database/sql database and records them
// in a schema_migrations table. It depends on the standard library only.
package migrate

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Migration is one numbered SQL file, such as 0002_lineage.sql.
type Migration struct {
	Version int64
	Name    string // the file name
	SQL     string
}

// Options tune Up for a database.
type Options struct {
	// Lock, when set, is run first in the migration transaction so that
	// processes starting together wait for each other, e.g. Postgres's
	// "SELECT pg_advisory_xact_lock(...)". SQLite needs none: its write
	// transactions already exclude each other.
	Lock string
}

// ErrNoMigrations is returned by Up when fsys holds no migration at all,
// which means the embed pattern is wrong.
var ErrNoMigrations = errors.New("no migrations found")

var fileName = regexp.MustCompile(`^([0-9]+)_[a-z0-9_]+\.sql$`)

// Load reads the migrations at the top of fsys, in version order. Every
// .sql file must be named NNNN_name.sql, and no two may share a version.
func Load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %q: name must look like 0001_name.sql", e.Name())
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("migration %q: version must be a positive number", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %q and %q share version %d", ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	return ms, nil
}

// Up applies the migrations in fsys that db has not applied yet, in version
// order and all in one transaction, so a failure leaves the schema as it
// was. It returns the names of the migrations it applied. A database that
// records a version fsys does not know was migrated by a newer binary and
// is refused.
//
// Each migration's SQL is sent in one Exec call without arguments, so the
// driver must accept several statements at once (modernc.org/sqlite and
// pgx's simple protocol do).
func Up(ctx context.Context, db *sql.DB, fsys fs.FS, opts *Options) ([]string, error) {
	ms, err := Load(fsys)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, ErrNoMigrations
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit
	applied, err := apply(ctx, tx, ms, opts)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("migrate: commit: %w", err)
	}
	return applied, nil
}

func apply(ctx context.Context, tx *sql.Tx, ms []Migration, opts *Options) ([]string, error) {
	if opts != nil && opts.Lock != "" {
		if _, err := tx.ExecContext(ctx, opts.Lock); err != nil {
			return nil, fmt.Errorf("migrate: lock: %w", err)
		}
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version BIGINT PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	done, err := appliedVersions(ctx, tx)
	if err != nil {
		return nil, err
	}
	known := make(map[int64]bool, len(ms))
	for _, m := range ms {
		known[m.Version] = true
	}
	for v := range done {
		if !known[v] {
			return nil, fmt.Errorf("migrate: the database has schema version %d, which this binary does not know: it was migrated by a newer version", v)
		}
	}
	var names []string
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return nil, fmt.Errorf("migrate: %s: %w", m.Name, err)
		}
		// $1 placeholders suit both Postgres and modernc.org/sqlite.
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.Version, m.Name, time.Now().UTC().Format(time.RFC3339Nano))
		if err != nil {
			return nil, fmt.Errorf("migrate: record %s: %w", m.Name, err)
		}
		names = append(names, m.Name)
	}
	return names, nil
}

func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int64]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[int64]bool{}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	return done, nil
}
