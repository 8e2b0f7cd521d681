package catalog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/engine"
)

// tableStats is what an engine reports about one table besides its columns.
type tableStats struct {
	database string
	rows     int64
	size     int64
}

// statsSQL is the query yielding (database, schema, table, rows, size) for
// every user table of an engine. Each engine keeps these figures in its own
// catalog; they are estimates refreshed by the engine (ANALYZE), not counts.
func statsSQL(dialect string) string {
	switch dialect {
	case "duckdb":
		// duckdb_tables() reports an estimated row count but no bytes.
		return `SELECT database_name, schema_name, table_name, estimated_size, -1 FROM duckdb_tables() WHERE NOT internal AND NOT temporary`
	case "postgres":
		return `SELECT current_database(), n.nspname, c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`
	case "mysql":
		return `SELECT table_schema, table_schema, table_name, table_rows, data_length + index_length FROM information_schema.tables
			WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
			AND (DATABASE() IS NULL OR table_schema = DATABASE())`
	}
	return ""
}

// crawlScope is the schema a crawl lists: a MySQL data source names its
// database, and the server's other databases (which the same login may see)
// are not part of it; "" (every user schema) elsewhere.
func crawlScope(ctx context.Context, e engine.Engine) (string, error) {
	if e.Dialect() != "mysql" {
		return "", nil
	}
	rows, err := e.Query(ctx, "SELECT DATABASE()")
	if err != nil {
		return "", fmt.Errorf("current database: %w", err)
	}
	defer rows.Close()
	var db string
	if rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return "", err
		}
		db = str(v[0])
	}
	return db, rows.Err()
}

// readStats returns the engine's figures by lower-cased schema.table (and
// by bare table name for the unqualified refs some engines list).
func readStats(ctx context.Context, e engine.Engine) (map[string]tableStats, error) {
	q := statsSQL(e.Dialect())
	out := map[string]tableStats{}
	if q == "" {
		return out, nil
	}
	rows, err := e.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read table sizes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, err
		}
		st := tableStats{database: str(v[0]), rows: toInt(v[3]), size: toInt(v[4])}
		if st.rows < 0 {
			st.rows = -1 // Postgres says -1 for a table never analyzed
		}
		out[strings.ToLower(str(v[1])+"."+str(v[2]))] = st
	}
	return out, rows.Err()
}

func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(v)
	case string:
		return v
	case time.Time:
		if v.Equal(v.Truncate(24 * time.Hour)) {
			return v.Format(time.DateOnly)
		}
		return v.Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

func toInt(v any) int64 {
	switch v := v.(type) {
	case nil:
		return -1
	case int64:
		return v
	case int32:
		return int64(v)
	case int:
		return int64(v)
	case uint64:
		return int64(v)
	case float64:
		return int64(v)
	case float32:
		return int64(v)
	}
	n, err := strconv.ParseFloat(str(v), 64)
	if err != nil {
		return -1
	}
	return int64(n)
}

func quote(dialect, ident string) string {
	if dialect == "mysql" {
		return "`" + strings.ReplaceAll(ident, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}
