// Package postgres is the engine for PostgreSQL databases, reached through
// pgx's database/sql driver.
package postgres

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kilnhq/kiln/engine"
)

// Engine is a PostgreSQL database.
type Engine struct {
	*engine.SQLEngine
}

var _ engine.Engine = (*Engine)(nil)

// Open connects lazily to the database dsn names, as a URL
// (postgres://user@host:5432/db?sslmode=disable) or as key=value pairs.
// password is given apart so that it never sits in a DSN that could be
// logged; when empty, the DSN's own password (or PGPASSWORD, .pgpass) is used.
func Open(name, dsn, password string) (*Engine, error) {
	cfg, err := connConfig(dsn, password)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", name, err)
	}
	db := stdlib.OpenDB(*cfg)
	return &Engine{engine.NewSQLEngine(name, db, dialect{})}, nil
}

func connConfig(dsn, password string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if password != "" {
		cfg.Password = password
	}
	if !strings.Contains(dsn, "default_query_exec_mode") {
		// pgx caches prepared statements by text by default; a warehouse
		// changes tables under the same SQL, and a cached plan then fails
		// with "cached plan must not change result type". Describing each
		// statement costs a round trip and never goes stale.
		cfg.DefaultQueryExecMode = pgx.QueryExecModeDescribeExec
	}
	return cfg, nil
}

// dialect is PostgreSQL's SQL.
type dialect struct{}

var _ engine.Dialect = dialect{}

func (dialect) Name() string             { return "postgres" }
func (dialect) TransactionalDDL() bool   { return true }
func (dialect) PeriodColumnType() string { return "text" }

func (dialect) QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteString writes a value with a backslash as an E-prefixed string, whose
// meaning does not hang on the server's standard_conforming_strings.
func (dialect) QuoteString(s string) string {
	quoted := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(quoted, `\`, `\\`)
	}
	return quoted
}

// relation joins pg_class to its schema, the one given as $1 or the
// current one when $1 is empty.
const relation = `pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = COALESCE(NULLIF($1, ''), current_schema()) AND c.relname = $2`

func (dialect) DescribeTableSQL(t engine.TableRef) (string, []any) {
	return `SELECT n.nspname, c.relname,
  CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
  obj_description(c.oid, 'pg_class')
FROM ` + relation + ` AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`, []any{t.Schema, t.Name}
}

func (dialect) DescribeColumnsSQL(t engine.TableRef) (string, []any) {
	return `SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
  col_description(c.oid, a.attnum)
FROM pg_attribute a, ` + relation + ` AND a.attrelid = c.oid
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`, []any{t.Schema, t.Name}
}

func (dialect) ListTablesSQL(schema string) (string, []any) {
	return `SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND CASE WHEN $1 = ''
  THEN n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
  ELSE n.nspname = $1 END
ORDER BY 1, 2`, []any{schema}
}

func (dialect) ExplainSQL(stmt string) (string, bool) { return "EXPLAIN " + stmt, false }

// StageSQL creates the stage as a temporary table: it lives in the
// session's pg_temp schema, searched first, and rolls back with the run.
func (d dialect) StageSQL(_ engine.TableRef, name, selectSQL string) (engine.TableRef, string, string) {
	q := d.QuoteIdent(name)
	return engine.TableRef{Name: name}, "CREATE TEMPORARY TABLE " + q + " AS " + selectSQL, "DROP TABLE IF EXISTS " + q
}

func (d dialect) DeleteMatchingSQL(target, stage engine.TableRef, keys []string) string {
	on := make([]string, len(keys))
	for i, k := range keys {
		k = d.QuoteIdent(k)
		on[i] = "_kiln_t." + k + " = _kiln_s." + k
	}
	return "DELETE FROM " + engine.QuoteTable(d, target) + " AS _kiln_t USING " + engine.QuoteTable(d, stage) +
		" AS _kiln_s WHERE " + strings.Join(on, " AND ")
}
