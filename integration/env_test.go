package integration

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/engine/mysql"
	"github.com/kilnhq/kiln/engine/postgres"
	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/logstore"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/runner"
)

// engines is a fixed set of engines by name, for jobs in tests.
type engines map[string]engine.Engine

func (e engines) Engine(_ context.Context, _ int64, name string) (engine.Engine, error) {
	if x, ok := e[name]; ok {
		return x, nil
	}
	return nil, fmt.Errorf("engine %q: %w", name, meta.ErrNotFound)
}

// env is a warehouse and the sources of one test.
type env struct {
	t    *testing.T
	dir  string
	wh   *duckdb.Engine
	engs engines
	logs *logstore.Store
	seq  int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	wh, err := duckdb.Open("warehouse", filepath.Join(dir, "wh.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.Close() })
	logs, err := logstore.New(filepath.Join(dir, "logs"))
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, dir: dir, wh: wh, engs: engines{"warehouse": wh}, logs: logs}
}

func (e *env) addMySQL(name, dsn string) *mysql.Engine {
	m, err := mysql.Open(name, dsn, "")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { m.Close() })
	e.engs[name] = m
	return m
}

func (e *env) addPostgres(name, url string) *postgres.Engine {
	p, err := postgres.Open(name, url, "")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { p.Close() })
	e.engs[name] = p
	return p
}

// job builds a runner job for a sync spec.
func (e *env) job(name string, s *meta.SyncSpec) *runner.Job {
	e.seq++
	lw, err := e.logs.Open(e.seq)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { lw.Close() })
	return &runner.Job{
		Instance: &meta.Instance{ID: e.seq},
		Spec:     &meta.TaskSpec{Name: name, Type: meta.TaskSync, Sync: s},
		Project:  &meta.Project{ID: 1, Name: "p", DefaultEngine: "warehouse"},
		Log:      lw,
		Engines:  e.engs,
	}
}

// sync runs a spec and fails the test on error.
func (e *env) sync(name string, s *meta.SyncSpec) *Metrics {
	e.t.Helper()
	m, err := (&Executor{BaseDir: e.dir}).Sync(e.t.Context(), e.job(name, s))
	if err != nil {
		e.t.Fatalf("sync %s: %v", name, err)
	}
	return m
}

func (e *env) syncErr(name string, s *meta.SyncSpec) error {
	_, err := (&Executor{BaseDir: e.dir}).Sync(e.t.Context(), e.job(name, s))
	return err
}

var sakilaOnce sync.Mutex

// loadSakila loads the Sakila schema and data into the MariaDB database dsn
// names, with the mysql client.
func loadSakila(t *testing.T, dsn string) {
	t.Helper()
	sakilaOnce.Lock()
	defer sakilaOnce.Unlock()
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for _, f := range []string{"sakila-schema.sql.gz", "sakila-data.sql.gz"} {
		b := gunzip(t, filepath.Join("testdata", "sakila", f))
		b = strings.Replace(b, "CREATE SCHEMA sakila;", "", 1)
		b = strings.Replace(b, "USE sakila;", "", 1)
		b = strings.ReplaceAll(b, "sakila.", "")
		all.WriteString(b)
	}
	host, port, _ := strings.Cut(cfg.Addr, ":")
	args := []string{"-h", host, "-P", port, "-u", cfg.User, cfg.DBName}
	if cfg.Passwd != "" {
		args = append(args, "-p"+cfg.Passwd)
	}
	cmd := exec.Command("mysql", args...)
	cmd.Stdin = &all
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("load sakila: %v\n%s", err, out)
	}
}

func gunzip(t *testing.T, path string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loadPagila loads the Pagila schema (adapted to Postgres 15) into the
// database url names and generates rows rows per table.
func loadPagila(t *testing.T, url string, rows int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "pagila", "pagila-schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, r := range [][2]string{
		{"uuidv7()", "gen_random_uuid()"},
		{"VIRTUAL", "STORED"},
		{"CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;", ""},
		{"COMMENT ON EXTENSION vector IS 'vector data type and ivfflat and hnsw access methods';", ""},
		{"public.vector(20)", "real[]"},
		{"CREATE INDEX film_embedding_embedding_hnsw_idx ON public.film_embedding USING hnsw (embedding public.vector_cosine_ops);", ""},
	} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	cmd := exec.Command("psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url)
	cmd.Stdin = strings.NewReader(s)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("load pagila schema: %v\n%s", err, out)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Rows are generated table by table, so foreign keys and triggers wait.
	if _, err := conn.ExecContext(ctx, "SET session_replication_role = replica"); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range pagilaTables(t, conn) {
		gen := pagilaInsert(t, conn, tbl, rows)
		if _, err := conn.ExecContext(ctx, gen); err != nil {
			t.Fatalf("generate %s: %v\n%s", tbl, err, gen)
		}
	}
}

func pagilaTables(t *testing.T, conn *sql.Conn) []string {
	rows, err := conn.QueryContext(t.Context(), `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE nspname = 'public' AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY relname`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

// pagilaInsert builds an INSERT … SELECT over generate_series with a value
// of each column's type.
func pagilaInsert(t *testing.T, conn *sql.Conn, table string, n int) string {
	rows, err := conn.QueryContext(t.Context(), `SELECT column_name, data_type, udt_name, COALESCE(character_maximum_length, 0),
  COALESCE(numeric_precision, 0), COALESCE(numeric_scale, 0), COALESCE(domain_name, '')
FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER'
ORDER BY ordinal_position`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols, vals []string
	for rows.Next() {
		var name, dt, udt, domain string
		var maxLen, prec, scale int
		if err := rows.Scan(&name, &dt, &udt, &maxLen, &prec, &scale, &domain); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, `"`+name+`"`)
		vals = append(vals, pagilaValue(dt, udt, domain, maxLen, prec, scale))
	}
	return fmt.Sprintf("INSERT INTO public.%q (%s) SELECT %s FROM generate_series(1, %d) g", table,
		strings.Join(cols, ", "), strings.Join(vals, ", "), n)
}

func pagilaValue(dt, udt, domain string, maxLen, prec, scale int) string {
	switch {
	case domain == "year":
		return "1990 + g % 30"
	case dt == "smallint" || dt == "integer" || dt == "bigint":
		return "g"
	case dt == "numeric":
		return fmt.Sprintf("round(((g %% %d) + 0.37)::numeric, %d)", max(1, min(1000, pow10(prec-scale)-1)), scale)
	case dt == "text" || dt == "character varying" || dt == "character":
		v := "'v' || g || ' ' || md5(g::text) || ' ünï''\"'"
		if maxLen > 0 {
			return fmt.Sprintf("left(%s, %d)", v, maxLen)
		}
		return v
	case dt == "boolean":
		return "g % 2 = 0"
	case dt == "date":
		return "date '2022-01-01' + g"
	case strings.HasPrefix(dt, "timestamp"):
		return "timestamp '2022-01-01 00:00:00' + g * interval '37 minutes 13.123456 seconds'"
	case dt == "bytea":
		return "decode(md5(g::text), 'hex')"
	case dt == "uuid":
		return "md5(g::text)::uuid"
	case dt == "tsvector":
		return "to_tsvector('english', 'word' || g || ' running')"
	case dt == "json" || dt == "jsonb":
		return "json_build_object('k', g, 's', 'x' || g)"
	case dt == "ARRAY" && udt == "_text":
		return "ARRAY['Trailers', 'x' || g]"
	case dt == "ARRAY" && udt == "_float4":
		return "ARRAY[g * 0.5, 0.25]::real[]"
	case dt == "USER-DEFINED" && udt == "mpaa_rating":
		return "(enum_range(NULL::mpaa_rating))[1 + g % 5]"
	}
	return "NULL"
}

func pow10(n int) int {
	r := 1
	for range n {
		r *= 10
	}
	return r
}

// checksums returns, per column, the row count, null count and an
// order-independent hash of each value's canonical text.
func checksums(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	sums := make([]uint64, len(cols))
	nulls := make([]int, len(cols))
	n := 0
	raw := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		n++
		for i, v := range raw {
			if !v.Valid {
				nulls[i]++
				continue
			}
			h := fnv.New64a()
			h.Write([]byte(v.String))
			sums[i] += h.Sum64()
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(cols))
	for i, c := range cols {
		_ = c
		out[i] = fmt.Sprintf("rows %d nulls %d sum %x", n, nulls[i], sums[i])
	}
	return out
}

// canonical renders column c of DuckDB type typ as text on dialect d, in
// one form all dialects agree on.
func canonical(d, c, typ string) string {
	q := `"` + c + `"`
	if d == "mysql" {
		q = "`" + c + "`"
	}
	typ = strings.ToUpper(typ)
	switch d {
	case "duckdb":
		switch {
		case typ == "BLOB":
			return "lower(hex(" + q + "))"
		case typ == "FLOAT[]":
			return "'[' || array_to_string(list_transform(" + q + ", x -> CAST(x AS DECIMAL(18,6))), ', ') || ']'"
		case typ == "TIMESTAMP":
			return "strftime(" + q + ", '%Y-%m-%d %H:%M:%S.%f')"
		case typ == "TIMESTAMP WITH TIME ZONE":
			return "strftime(timezone('UTC', " + q + "), '%Y-%m-%d %H:%M:%S.%f')"
		}
		return "CAST(" + q + " AS VARCHAR)"
	case "mysql":
		switch {
		case typ == "BLOB":
			return "lower(hex(" + q + "))"
		case strings.HasPrefix(typ, "TIMESTAMP"):
			return "DATE_FORMAT(" + q + ", '%Y-%m-%d %H:%i:%s.%f')"
		}
		return "CAST(" + q + " AS CHAR)"
	default:
		switch {
		case typ == "BLOB":
			return "encode(" + q + ", 'hex')"
		case strings.HasPrefix(typ, "TIMESTAMP"):
			return "to_char(" + q + ", 'YYYY-MM-DD HH24:MI:SS.US')"
		case typ == "FLOAT[]":
			return "'[' || array_to_string(" + q + "::numeric(18,6)[], ', ') || ']'"
		case strings.HasSuffix(typ, "[]"):
			return "'[' || array_to_string(" + q + ", ', ') || ']'"
		}
		return q + "::text"
	}
}

// compareTable checks row counts and per-column checksums of a source
// table against its warehouse copy.
func compareTable(t *testing.T, e *env, srcDB *sql.DB, dialect, srcTable, target string) {
	t.Helper()
	wc, err := newWarehouseCols(t, e, target)
	if err != nil {
		t.Fatal(err)
	}
	var se, te []string
	for _, c := range wc {
		se = append(se, canonical(dialect, c.Name, c.Type))
		te = append(te, canonical("duckdb", c.Name, c.Type))
	}
	src := checksums(t, srcDB, "SELECT "+strings.Join(se, ", ")+" FROM "+srcTable)
	dst := checksums(t, e.wh.DB(), "SELECT "+strings.Join(te, ", ")+" FROM "+qi(target))
	for i := range src {
		if src[i] != dst[i] {
			t.Errorf("table %s column %s (%s): source %s, warehouse %s", srcTable, wc[i].Name, wc[i].Type, src[i], dst[i])
		}
	}
}

func newWarehouseCols(t *testing.T, e *env, table string) ([]tgtColumn, error) {
	w, err := openWarehouse(t.Context(), e.wh.DB())
	if err != nil {
		return nil, err
	}
	defer w.Close()
	return w.describe(t.Context(), "", table)
}

// mariaDB gives a fresh MariaDB database and a pool on it whose sessions
// read timestamps in UTC, as the sync does.
func mariaDB(t *testing.T) (dsn string, db *sql.DB) {
	dsn = testenv.MariaDB(t)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	c, err := gomysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db = sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return dsn, db
}
