// Package enginetest is the conformance suite every engine.Engine adapter
// runs against a real database: one set of expectations for DuckDB,
// Postgres and the MySQL family, so that tasks behave the same whichever
// engine runs them.
package enginetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/engine"
)

// Exercise runs the whole suite against e, which must be connected to an
// empty database (schema) that the suite may fill; it creates one more
// schema of its own and drops it at the end.
func Exercise(t *testing.T, e engine.Engine) {
	s := setup(t, e)
	t.Run("Exec", s.testExec)
	t.Run("QueryStreams", s.testQueryStreams)
	t.Run("Types", s.testTypes)
	t.Run("Describe", s.testDescribe)
	t.Run("ListTables", s.testListTables)
	t.Run("Explain", s.testExplain)
	t.Run("RunModel", func(t *testing.T) {
		t.Run("Overwrite", s.testOverwrite)
		t.Run("OverwritePartition", s.testOverwritePartition)
		t.Run("Append", s.testAppend)
		t.Run("Merge", s.testMerge)
		t.Run("Invalid", s.testInvalidModel)
	})
	t.Run("RunScript", s.testRunScript)
	t.Run("Cancel", s.testCancel)
}

// sqlFor is the SQL the suite cannot write portably.
type sqlFor struct {
	placeholder func(n int) string // the n-th (1-based) bind placeholder
	double      string             // an 8-byte float type
	timestamp   string             // a timestamp without time zone
	intCast     string             // the type to CAST text to an integer
	// commentedTable creates table described(id, name) with a table
	// comment and a comment on name.
	commentedTable []string
	// slow runs for many seconds unless cancelled.
	slow       string
	dropSchema string // format with the quoted schema name
}

func dialectSQL(t *testing.T, dialect string) sqlFor {
	dollar := func(n int) string { return "$" + strconv.Itoa(n) }
	question := func(int) string { return "?" }
	standardComments := []string{
		"CREATE TABLE described (id INTEGER NOT NULL, name VARCHAR(20))",
		"COMMENT ON TABLE described IS 'people we describe'",
		"COMMENT ON COLUMN described.name IS 'full name'",
	}
	switch dialect {
	case "duckdb":
		return sqlFor{
			placeholder: question, double: "DOUBLE", timestamp: "TIMESTAMP", intCast: "INTEGER",
			commentedTable: standardComments,
			slow:           "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b",
			dropSchema:     "DROP SCHEMA IF EXISTS %s CASCADE",
		}
	case "postgres":
		return sqlFor{
			placeholder: dollar, double: "DOUBLE PRECISION", timestamp: "TIMESTAMP", intCast: "INTEGER",
			commentedTable: standardComments,
			slow:           "SELECT pg_sleep(60)",
			dropSchema:     "DROP SCHEMA IF EXISTS %s CASCADE",
		}
	case "mysql":
		return sqlFor{
			placeholder: question, double: "DOUBLE", timestamp: "DATETIME", intCast: "SIGNED",
			commentedTable: []string{
				"CREATE TABLE described (id INTEGER NOT NULL, name VARCHAR(20) COMMENT 'full name') COMMENT = 'people we describe'",
			},
			slow:       "SELECT SLEEP(20)",
			dropSchema: "DROP DATABASE IF EXISTS %s",
		}
	}
	t.Fatalf("enginetest: no SQL for dialect %q; add it to dialectSQL", dialect)
	return sqlFor{}
}

// suite holds what every test needs.
type suite struct {
	e      engine.Engine
	sql    sqlFor
	schema string // a schema of the suite's own, created by a model run
	// defaultSchema is where unqualified tables go.
	defaultSchema string
}

// setup loads the source table the write-mode tests read.
func setup(t *testing.T, e engine.Engine) *suite {
	t.Helper()
	s := &suite{
		e:      e,
		sql:    dialectSQL(t, e.Dialect()),
		schema: fmt.Sprintf("kiln_et_%d", time.Now().UnixNano()%1e9),
	}
	t.Cleanup(func() {
		quoted := `"` + s.schema + `"`
		if e.Dialect() == "mysql" {
			quoted = "`" + s.schema + "`"
		}
		if _, err := e.Exec(context.Background(), fmt.Sprintf(s.sql.dropSchema, quoted)); err != nil {
			t.Errorf("drop schema %s: %v", s.schema, err)
		}
	})
	s.exec(t,
		"CREATE TABLE src (id INTEGER NOT NULL, dt DATE, amount DECIMAL(10,2))",
		"INSERT INTO src (id, dt, amount) VALUES (1, '2024-01-01', 10.50), (2, '2024-01-01', 20.00), "+
			"(3, '2024-01-02', 30.25), (4, '2024-01-02', 40.00)",
	)
	src, err := e.Describe(t.Context(), engine.TableRef{Name: "src"})
	if err != nil {
		t.Fatal(err)
	}
	s.defaultSchema = src.Ref.Schema
	return s
}

// exec runs statements that must succeed.
func (s *suite) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, stmt := range stmts {
		if _, err := s.e.Exec(t.Context(), stmt); err != nil {
			t.Fatalf("exec %s: %v", stmt, err)
		}
	}
}

// rows runs a query and renders each row as "v1|v2|…".
func (s *suite) rows(t *testing.T, query string, args ...any) []string {
	t.Helper()
	rows, err := s.e.Query(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("query %s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatalf("values: %v", err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = render(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query %s: %v", query, err)
	}
	return out
}

// render prints a value the same way whatever engine produced it.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.DateTime)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func (s *suite) testExec(t *testing.T) {
	s.exec(t, "CREATE TABLE exec_t (id INTEGER)")
	n, err := s.e.Exec(t.Context(), "INSERT INTO exec_t (id) VALUES (1), (2), (3)")
	if err != nil || n != 3 {
		t.Fatalf("insert: %d rows, %v; want 3", n, err)
	}
	p := s.sql.placeholder
	n, err = s.e.Exec(t.Context(), "UPDATE exec_t SET id = id + "+p(1)+" WHERE id >= "+p(2), 10, 2)
	if err != nil || n != 2 {
		t.Fatalf("update with arguments: %d rows, %v; want 2", n, err)
	}
	equal(t, "exec_t", s.rows(t, "SELECT id FROM exec_t ORDER BY id"), []string{"1", "12", "13"})
	if _, err := s.e.Exec(t.Context(), "INSERT INTO no_such_table VALUES (1)"); err == nil {
		t.Error("insert into a missing table: no error")
	}
}

// digits generates 0..99999 without generate_series, which MySQL lacks.
const digits = `WITH d AS (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3
  UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)
SELECT a.n + 10 * b.n + 100 * c.n + 1000 * e.n + 10000 * f.n AS i
FROM d a CROSS JOIN d b CROSS JOIN d c CROSS JOIN d e CROSS JOIN d f`

func (s *suite) testQueryStreams(t *testing.T) {
	const total = 100000
	rows, err := s.e.Query(t.Context(), "SELECT i, i * 2 AS twice FROM ("+digits+") g ORDER BY i")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols := rows.Columns()
	if len(cols) != 2 || cols[0].Name != "i" || cols[1].Name != "twice" || cols[0].Type == "" {
		t.Fatalf("columns = %+v, want i and twice with types", cols)
	}
	var count int64
	var first []any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = vals
		} else if &first[0] != &vals[0] {
			t.Fatal("Values returned a new slice; it should reuse one")
		}
		if vals[0] != count || vals[1] != 2*count {
			t.Fatalf("row %d = %#v, want [%d %d]", count, vals, count, 2*count)
		}
		count++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if count != total {
		t.Errorf("streamed %d rows, want %d", count, total)
	}
}

func (s *suite) testTypes(t *testing.T) {
	s.exec(t, fmt.Sprintf(`CREATE TABLE types_t (id INTEGER, big_v BIGINT, dec_v DECIMAL(12,2), dbl_v %s,
  txt_v VARCHAR(50), day_v DATE, at_v %s, flag_v BOOLEAN)`, s.sql.double, s.sql.timestamp))
	p := s.sql.placeholder
	ph := make([]string, 8)
	for i := range ph {
		ph[i] = p(i + 1)
	}
	insert := "INSERT INTO types_t (id, big_v, dec_v, dbl_v, txt_v, day_v, at_v, flag_v) VALUES (" + strings.Join(ph, ", ") + ")"
	day := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
	at := time.Date(2024, 1, 31, 13, 45, 30, 0, time.UTC)
	if _, err := s.e.Exec(t.Context(), insert, 1, int64(1)<<40, "12345.67", 1.5, "héllo, 世界", day, at, true); err != nil {
		t.Fatalf("insert values: %v", err)
	}
	if _, err := s.e.Exec(t.Context(), insert, 2, nil, nil, nil, nil, nil, nil, nil); err != nil {
		t.Fatalf("insert NULLs: %v", err)
	}
	rows, err := s.e.Query(t.Context(), "SELECT id, big_v, dec_v, dbl_v, txt_v, day_v, at_v, flag_v FROM types_t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("no first row: %v", rows.Err())
	}
	vals, err := rows.Values()
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(1), int64(1) << 40, "12345.67", 1.5, "héllo, 世界"}
	for i, w := range want {
		if vals[i] != w {
			t.Errorf("column %s = %#v (%T), want %#v", rows.Columns()[i].Name, vals[i], vals[i], w)
		}
	}
	if d, ok := vals[5].(time.Time); !ok || d.Format(time.DateOnly) != "2024-01-31" {
		t.Errorf("day = %#v, want 2024-01-31 as time.Time", vals[5])
	}
	if ts, ok := vals[6].(time.Time); !ok || ts.Format(time.DateTime) != "2024-01-31 13:45:30" {
		t.Errorf("at = %#v, want 2024-01-31 13:45:30 as time.Time", vals[6])
	}
	if vals[7] != true && vals[7] != int64(1) { // MySQL's BOOLEAN is TINYINT(1)
		t.Errorf("flag = %#v, want true", vals[7])
	}
	if !rows.Next() {
		t.Fatalf("no second row: %v", rows.Err())
	}
	if vals, err = rows.Values(); err != nil {
		t.Fatal(err)
	}
	for i, v := range vals[1:] {
		if v != nil {
			t.Errorf("column %s = %#v, want NULL", rows.Columns()[i+1].Name, v)
		}
	}
}

func (s *suite) testDescribe(t *testing.T) {
	s.exec(t, s.sql.commentedTable...)
	s.exec(t, "CREATE VIEW described_v AS SELECT id FROM described")
	tbl, err := s.e.Describe(t.Context(), engine.TableRef{Name: "described"})
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Kind != "table" || tbl.Ref.Name != "described" || tbl.Ref.Schema == "" || tbl.Comment != "people we describe" {
		t.Errorf("table = %+v, want kind table, its schema and comment", tbl)
	}
	if len(tbl.Columns) != 2 {
		t.Fatalf("columns = %+v, want id and name", tbl.Columns)
	}
	id, name := tbl.Columns[0], tbl.Columns[1]
	if id.Name != "id" || id.Nullable || !strings.Contains(strings.ToUpper(id.Type), "INT") {
		t.Errorf("id = %+v, want a NOT NULL integer", id)
	}
	if name.Name != "name" || !name.Nullable || !strings.Contains(strings.ToUpper(name.Type), "CHAR") || name.Comment != "full name" {
		t.Errorf("name = %+v, want a nullable varchar commented 'full name'", name)
	}

	view, err := s.e.Describe(t.Context(), engine.TableRef{Schema: tbl.Ref.Schema, Name: "described_v"})
	if err != nil {
		t.Fatal(err)
	}
	if view.Kind != "view" || len(view.Columns) != 1 {
		t.Errorf("view = %+v, want kind view with one column", view)
	}

	_, err = s.e.Describe(t.Context(), engine.TableRef{Name: "no_such_table"})
	if !errors.Is(err, engine.ErrTableNotFound) || !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("describe a missing table: %v, want ErrTableNotFound naming it", err)
	}
	_, err = s.e.Describe(t.Context(), engine.TableRef{Schema: "no_such_schema", Name: "described"})
	if !errors.Is(err, engine.ErrTableNotFound) {
		t.Errorf("describe in a missing schema: %v, want ErrTableNotFound", err)
	}
}

func (s *suite) testListTables(t *testing.T) {
	s.exec(t, "CREATE TABLE listed (id INTEGER)")
	all, err := s.e.ListTables(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(r engine.TableRef) bool { return r.Name == "listed" })
	if i < 0 {
		t.Fatalf("ListTables(\"\") = %v, want listed among them", all)
	}
	schema := all[i].Schema
	mine, err := s.e.ListTables(t.Context(), schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range mine {
		if r.Schema != schema {
			t.Errorf("ListTables(%q) returned %v", schema, r)
		}
	}
	if !slices.Contains(mine, engine.TableRef{Schema: schema, Name: "listed"}) {
		t.Errorf("ListTables(%q) = %v, want listed", schema, mine)
	}
	if none, err := s.e.ListTables(t.Context(), "no_such_schema"); err != nil || len(none) != 0 {
		t.Errorf("ListTables(no_such_schema) = %v, %v; want nothing", none, err)
	}
}

func (s *suite) testExplain(t *testing.T) {
	plan, err := s.e.Explain(t.Context(), "SELECT id, amount FROM src WHERE id = 2;")
	if err != nil || strings.TrimSpace(plan) == "" {
		t.Errorf("explain: %q, %v; want a plan", plan, err)
	}
	_, err = s.e.Explain(t.Context(), "SELEC id FROM src")
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "syntax") {
		t.Errorf("explain a statement that does not parse: %v, want the engine's syntax error", err)
	}
	if _, err := s.e.Explain(t.Context(), "SELECT no_such_column FROM src"); err == nil {
		t.Error("explain a statement with a missing column: no error")
	}
}

func (s *suite) testRunScript(t *testing.T) {
	res, err := s.e.RunScript(t.Context(), []string{
		"CREATE TABLE script_t (id INTEGER)",
		"INSERT INTO script_t (id) VALUES (1);",
		"  ",
		"INSERT INTO script_t (id) VALUES (2), (3)",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Statements != 3 || res.RowsAffected != 3 {
		t.Errorf("result = %+v, want 3 statements affecting 3 rows", res)
	}
	equal(t, "after the script", s.rows(t, "SELECT id FROM script_t ORDER BY id"), []string{"1", "2", "3"})

	_, err = s.e.RunScript(t.Context(), []string{
		"INSERT INTO script_t (id) VALUES (4)",
		"DELETE FROM script_t WHERE id = 1",
		"INSERT INTO no_such_table (id) VALUES (5)",
	})
	if err == nil || !strings.Contains(err.Error(), "statement 3") {
		t.Errorf("failing script: %v, want an error naming statement 3", err)
	}
	equal(t, "after a failed script", s.rows(t, "SELECT id FROM script_t ORDER BY id"), []string{"1", "2", "3"})

	if ddl, ok := s.e.(interface{ TransactionalDDL() bool }); ok && ddl.TransactionalDDL() {
		_, err = s.e.RunScript(t.Context(), []string{
			"CREATE TABLE script_gone (id INTEGER)",
			"INSERT INTO script_gone (id) VALUES (1)",
			"SELEC broken",
		})
		if err == nil {
			t.Fatal("failing script with DDL: no error")
		}
		if _, err := s.e.Describe(t.Context(), engine.TableRef{Name: "script_gone"}); !errors.Is(err, engine.ErrTableNotFound) {
			t.Errorf("a table created by a failed script: %v, want it rolled back", err)
		}
	}
}

func (s *suite) testCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	rows, err := s.e.Query(ctx, s.sql.slow)
	if err == nil {
		for rows.Next() {
			_, _ = rows.Values()
		}
		err = rows.Err()
		_ = rows.Close()
	}
	elapsed := time.Since(start)
	if err == nil {
		t.Fatalf("the slow query finished in %v without error; it should have been cancelled", elapsed)
	}
	if elapsed > 5*time.Second {
		t.Errorf("cancelled query returned after %v, want promptly", elapsed)
	}
	// The engine stays usable after a cancelled query.
	equal(t, "after cancel", s.rows(t, "SELECT count(*) FROM src"), []string{"4"})
}
