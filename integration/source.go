package integration

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	_ "modernc.org/sqlite" // SQLite sources

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/engine/duckdb"
)

// source is an open database a sync reads, in one of the dialects mysql,
// postgres, sqlite or duckdb (which also reads CSV and Parquet files).
type source struct {
	name    string
	dialect string
	db      *sql.DB
	close   func() error
}

// shard is one source table; a sharded sync reads many.
type shard struct {
	Schema, Table string
}

func (s shard) String() string {
	if s.Schema == "" {
		return s.Table
	}
	return s.Schema + "." + s.Table
}

// srcColumn is one source column with its target type.
type srcColumn struct {
	Name     string
	RawType  string
	Nullable bool
	Comment  string
	PKPos    int // 1-based position in the primary key; 0 when not in it
	T        colType
}

// dbOf digs the database/sql pool out of an engine (through the shared
// warehouse's wrapper).
func dbOf(e engine.Engine) (*sql.DB, bool) {
	for {
		if d, ok := e.(interface{ DB() *sql.DB }); ok {
			return d.DB(), true
		}
		u, ok := e.(interface{ Unwrap() engine.Engine })
		if !ok {
			return nil, false
		}
		e = u.Unwrap()
	}
}

// openFiles opens a private in-memory DuckDB whose view "src" reads the
// CSV or Parquet files glob names.
func openFiles(ctx context.Context, glob, format, baseDir string) (*source, error) {
	if !filepath.IsAbs(glob) && baseDir != "" {
		glob = filepath.Join(baseDir, glob)
	}
	matches, err := filepath.Glob(glob)
	if err != nil {
		return nil, fmt.Errorf("source files %q: %w", glob, err)
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("source files %q: no file matches", glob)
	}
	if format == "" {
		format = strings.TrimPrefix(filepath.Ext(matches[0]), ".")
	}
	var reader string
	quoted := "'" + strings.ReplaceAll(glob, "'", "''") + "'"
	switch format {
	case "csv", "tsv", "txt":
		reader = "read_csv(" + quoted + ", union_by_name = true)"
	case "parquet":
		reader = "read_parquet(" + quoted + ", union_by_name = true)"
	default:
		return nil, fmt.Errorf("source files %q: unknown format %q: want csv or parquet", glob, format)
	}
	e, err := duckdb.Open("files", "")
	if err != nil {
		return nil, err
	}
	db := e.DB()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "CREATE VIEW src AS SELECT * FROM "+reader); err != nil {
		e.Close()
		return nil, fmt.Errorf("source files %q: %w", glob, err)
	}
	return &source{name: "files", dialect: "duckdb", db: db, close: e.Close}, nil
}

func openSQLite(ctx context.Context, path, baseDir string) (*source, error) {
	if !filepath.IsAbs(path) && baseDir != "" {
		path = filepath.Join(baseDir, path)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("source sqlite %s: %w", path, err)
	}
	return &source{name: path, dialect: "sqlite", db: db, close: db.Close}, nil
}

func (s *source) quote(name string) string {
	if s.dialect == "mysql" {
		return "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func (s *source) quoteTable(t shard) string {
	if t.Schema == "" {
		return s.quote(t.Table)
	}
	return s.quote(t.Schema) + "." + s.quote(t.Table)
}

// placeholder is the n-th (1-based) bind placeholder.
func (s *source) placeholder(n int) string {
	if s.dialect == "postgres" {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// describe reads a source table's columns and primary key, and maps each
// column's type; a missing table or an unknown type is an error naming it.
func (s *source) describe(ctx context.Context, t shard) ([]srcColumn, error) {
	var q string
	var args []any
	switch s.dialect {
	case "mysql":
		q = `SELECT c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE = 'YES', c.COLUMN_COMMENT,
  COALESCE((SELECT k.ORDINAL_POSITION FROM information_schema.KEY_COLUMN_USAGE k
    WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
      AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'), 0)
FROM information_schema.COLUMNS c
WHERE c.TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND c.TABLE_NAME = ?
ORDER BY c.ORDINAL_POSITION`
		args = []any{t.Schema, t.Table}
	case "postgres":
		q = `SELECT a.attname,
  CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) ELSE format_type(a.atttypid, a.atttypmod) END,
  NOT a.attnotnull, COALESCE(col_description(a.attrelid, a.attnum), ''),
  COALESCE((SELECT array_position(i.indkey::int2[], a.attnum) - array_lower(i.indkey::int2[], 1) + 1
    FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary), 0),
  COALESCE(bt.typtype, t.typtype) = 'e'
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`
		args = []any{s.quoteTable(t)}
	case "sqlite":
		q = `SELECT name, type, "notnull" = 0, '', pk FROM pragma_table_info(?)`
		args = []any{t.Table}
	case "duckdb":
		q = `SELECT c.column_name, c.data_type, c.is_nullable, COALESCE(c.comment, ''),
  COALESCE((SELECT list_position(k.constraint_column_names, c.column_name) FROM duckdb_constraints() k
    WHERE k.database_name = c.database_name AND k.schema_name = c.schema_name AND k.table_name = c.table_name
      AND k.constraint_type = 'PRIMARY KEY'), 0)
FROM duckdb_columns() c
WHERE c.database_name = current_database() AND c.schema_name = COALESCE(NULLIF(?, ''), current_schema())
  AND c.table_name = ?
ORDER BY c.column_index`
		args = []any{t.Schema, t.Table}
	default:
		return nil, fmt.Errorf("source %s: unknown dialect %q", s.name, s.dialect)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("source %s: describe %s: %w", s.name, t, err)
	}
	defer rows.Close()
	var cols []srcColumn
	for rows.Next() {
		var c srcColumn
		var enum bool
		dest := []any{&c.Name, &c.RawType, &c.Nullable, &c.Comment, &c.PKPos}
		if s.dialect == "postgres" {
			dest = append(dest, &enum)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("source %s: describe %s: %w", s.name, t, err)
		}
		switch s.dialect {
		case "mysql":
			c.T, err = mapMySQL(c.RawType)
		case "postgres":
			c.T, err = mapPostgres(c.RawType, enum)
		case "sqlite":
			c.T, err = mapSQLite(c.RawType)
		default:
			c.T, err = mapDuckDB(c.RawType)
		}
		if err != nil {
			return nil, fmt.Errorf("source %s: table %s column %s: %w", s.name, t, c.Name, err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("source %s: describe %s: %w", s.name, t, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("source %s: table %s not found", s.name, t)
	}
	return cols, nil
}

// selectExpr is how a column is read: Postgres types without a plain Go
// form come as text (arrays as JSON) so the converters see one shape.
func (s *source) selectExpr(c srcColumn) string {
	q := s.quote(c.Name)
	if s.dialect != "postgres" {
		return q
	}
	switch c.T.kind {
	case kBool, kInt, kFloat, kBytes, kDate, kTimestamp, kTimestampTZ:
		if c.T.Duck == "FLOAT" || c.T.Duck == "DOUBLE" || c.T.kind != kFloat {
			return q
		}
	case kList:
		return "to_json(" + q + ")::text"
	}
	if strings.HasPrefix(c.RawType, "money") {
		return q + "::numeric::text"
	}
	return q + "::text"
}

// listShards expands Databases and Tables (names, or one /regex/) into the
// source tables of a sharded sync.
func (s *source) listShards(ctx context.Context, dbs, tables []string) ([]shard, error) {
	if len(dbs) == 0 {
		dbs = []string{""}
	}
	dbMatch, dbRe, err := matcher(dbs)
	if err != nil {
		return nil, fmt.Errorf("source databases: %w", err)
	}
	tMatch, tRe, err := matcher(tables)
	if err != nil {
		return nil, fmt.Errorf("source tables: %w", err)
	}
	if !dbRe && !tRe {
		var out []shard
		for _, d := range dbs {
			for _, t := range tables {
				out = append(out, shard{d, t})
			}
		}
		return out, nil
	}
	var q string
	switch s.dialect {
	case "mysql":
		q = `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY 1, 2`
	case "postgres", "duckdb":
		q = `SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1, 2`
	default:
		q = `SELECT '', name FROM sqlite_master WHERE type = 'table' ORDER BY 2`
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("source %s: list tables: %w", s.name, err)
	}
	defer rows.Close()
	var out []shard
	for rows.Next() {
		var sh shard
		if err := rows.Scan(&sh.Schema, &sh.Table); err != nil {
			return nil, err
		}
		if dbMatch(sh.Schema) && tMatch(sh.Table) {
			out = append(out, sh)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("source %s: no table matches databases %v tables %v", s.name, dbs, tables)
	}
	return out, nil
}

// matcher reads a list of names or one /regular expression/.
func matcher(list []string) (func(string) bool, bool, error) {
	if len(list) == 1 && len(list[0]) > 1 && strings.HasPrefix(list[0], "/") && strings.HasSuffix(list[0], "/") {
		re, err := regexp.Compile("^(?:" + list[0][1:len(list[0])-1] + ")$")
		if err != nil {
			return nil, false, err
		}
		return re.MatchString, true, nil
	}
	return func(n string) bool {
		for _, l := range list {
			if l == n || l == "" {
				return true
			}
		}
		return false
	}, false, nil
}
