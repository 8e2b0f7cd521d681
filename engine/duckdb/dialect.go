// Package duckdb is the embedded DuckDB warehouse engine, Kiln's default:
// one database file in the data directory, or memory. The driver needs cgo;
// a build without it still compiles and Open says how to get DuckDB back.
package duckdb

import (
	"strings"

	"github.com/kilnhq/kiln/engine"
)

// Engine is a DuckDB database.
type Engine struct {
	*engine.SQLEngine
	kept bool // opened by OpenShared: Close keeps the file open
}

var _ engine.Engine = (*Engine)(nil)

// dialect is DuckDB's SQL. DuckDB resolves identifiers case-insensitively,
// so catalog look-ups compare names that way too.
type dialect struct{}

var _ engine.Dialect = dialect{}

func (dialect) Name() string           { return "duckdb" }
func (dialect) TransactionalDDL() bool { return true }
func (dialect) PeriodColumnType() string {
	return "VARCHAR"
}

func (dialect) QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func (dialect) QuoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// inSchema matches the schema given as $1, or the current one when $1 is
// empty. Temporary tables live in another database, "temp", so they never match.
const inSchema = `database_name = current_database()
  AND lower(schema_name) = lower(COALESCE(NULLIF($1, ''), current_schema()))`

func (dialect) DescribeTableSQL(t engine.TableRef) (string, []any) {
	return `SELECT schema_name, table_name, 'table', comment FROM duckdb_tables()
WHERE ` + inSchema + ` AND lower(table_name) = lower($2)
UNION ALL
SELECT schema_name, view_name, 'view', comment FROM duckdb_views()
WHERE ` + inSchema + ` AND NOT internal AND lower(view_name) = lower($2)`, []any{t.Schema, t.Name}
}

func (dialect) DescribeColumnsSQL(t engine.TableRef) (string, []any) {
	return `SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns()
WHERE ` + inSchema + ` AND lower(table_name) = lower($2)
ORDER BY column_index`, []any{t.Schema, t.Name}
}

func (dialect) ListTablesSQL(schema string) (string, []any) {
	return `SELECT schema_name, table_name FROM duckdb_tables()
WHERE database_name = current_database() AND NOT internal
  AND ($1 = '' OR lower(schema_name) = lower($1))
UNION ALL
SELECT schema_name, view_name FROM duckdb_views()
WHERE database_name = current_database() AND NOT internal
  AND ($1 = '' OR lower(schema_name) = lower($1))
ORDER BY 1, 2`, []any{schema}
}

func (dialect) ExplainSQL(stmt string) (string, bool) { return "EXPLAIN " + stmt, false }

// StageSQL creates the stage in DuckDB's temp catalog, which is searched
// before the others, so its bare name finds it.
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
