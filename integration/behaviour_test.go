package integration

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta"
)

func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.ExecContext(t.Context(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// smallSubBatches makes readers send chunks in batches of n rows, so that
// chunk transactions span several batches.
func smallSubBatches(t *testing.T, n int) {
	was := subBatchRows
	subBatchRows = n
	t.Cleanup(func() { subBatchRows = was })
}

func count(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRowContext(t.Context(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// A run killed mid-load leaves the target as it was; the next run resumes
// from the last checkpoint and the result matches the source exactly.
func TestResumeAfterKilledRun(t *testing.T) {
	smallSubBatches(t, 100)
	dsn, db := mariaDB(t)
	mustExec(t, db, "CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(20), amount DECIMAL(12,3))",
		"INSERT INTO big SELECT seq, CONCAT('row ', seq), seq * 1.125 FROM seq_1_to_6000")
	e := newEnv(t)
	e.addMySQL("shop", dsn)
	spec := &meta.SyncSpec{Mode: meta.SyncFull, ChunkRows: 250, RowsPerSecond: 2000,
		Source: meta.SyncSource{Engine: "shop", Table: "big"}, Target: meta.SyncTarget{Table: "big"}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := (&Executor{}).Sync(ctx, e.job("big", spec))
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st string
		err := e.wh.DB().QueryRowContext(t.Context(), `SELECT state FROM _kiln_sync.state WHERE sync_key = '1/big'`).Scan(&st)
		// Any checkpoint of the load will do: the limiter lets the first
		// second's rows through at once, so the first thousands may be
		// staged between two looks.
		var cp struct {
			Loading bool
			Rows    int64
		}
		if err == nil && json.Unmarshal([]byte(st), &cp) == nil && cp.Loading && cp.Rows > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the load ended (%v) before a checkpoint was seen; last state %q", err, st)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the load never checkpointed: last read %q, %v", st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the killed run succeeded")
	}
	if n := count(t, e.wh.DB(), `SELECT count(*) FROM duckdb_tables() WHERE table_name = 'big'`); n != 0 {
		t.Fatal("a killed full load published its target")
	}
	spec.RowsPerSecond = 0
	m := e.sync("big", spec)
	if m.Read >= 6000 || m.Written != 6000 {
		t.Errorf("the resumed run read %d rows and wrote %d in all; want fewer than 6000 read, 6000 written", m.Read, m.Written)
	}
	compareTable(t, e, db, "mysql", "big", "big")
}

// Rows that cannot be converted go to the side table; the run fails past
// the limit (count or percentage) and succeeds within it.
func TestDirtyRecordsAndSQLiteSource(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(e.dir, "src.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, price DECIMAL(8,2), name TEXT, at DATETIME)")
	for i := 1; i <= 100; i++ {
		qty := fmt.Sprint(i)
		if i%25 == 0 {
			qty = "'many'" // INTEGER affinity keeps text that is not a number
		}
		mustExec(t, db, fmt.Sprintf("INSERT INTO items VALUES (%d, %s, %d.25, 'item %d', '2024-01-02 03:04:05')", i, qty, i, i))
	}
	db.Close()
	spec := &meta.SyncSpec{Mode: meta.SyncFull, Source: meta.SyncSource{SQLite: "src.db", Table: "items"}, Target: meta.SyncTarget{Table: "items"}}
	if err := e.syncErr("items", spec); !errors.Is(err, ErrDirtyLimit) {
		t.Fatalf("no limit: %v", err)
	}
	spec.DirtyLimit = 3
	if err := e.syncErr("items", spec); !errors.Is(err, ErrDirtyLimit) || !strings.Contains(err.Error(), "4 dirty rows, dirty_limit 3") {
		t.Fatalf("limit 3: %v", err)
	}
	spec.DirtyLimit, spec.DirtyPercent = 0, 5
	m := e.sync("items", spec)
	if m.Written != 96 || m.Dirty != 4 {
		t.Errorf("%+v", m)
	}
	if n := count(t, e.wh.DB(), `SELECT count(*) FROM _kiln_sync.dirty_records WHERE reason LIKE 'column qty: "many" is not an integer'`); n != 12 {
		t.Errorf("%d dirty records with their reason, want 12 (three runs)", n)
	}
	if n := count(t, e.wh.DB(), `SELECT count(*) FROM items WHERE price = 7.25 AND "at" = TIMESTAMP '2024-01-02 03:04:05'`); n != 1 {
		t.Errorf("decimal and datetime did not survive: %d", n)
	}
}

// A CSV glob is a source like any other.
func TestCSVSource(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		body := "id,name,amount\n"
		for j := range 10 {
			body += fmt.Sprintf("%d,n%d,%d.5\n", i*10+j, j, j)
		}
		if err := os.WriteFile(filepath.Join(e.dir, fmt.Sprintf("part%d.csv", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := e.sync("csv", &meta.SyncSpec{Mode: meta.SyncFull, Source: meta.SyncSource{Files: "part*.csv"}, Target: meta.SyncTarget{Table: "from_csv"},
		Add: []meta.SyncColumn{{Name: "_src", Value: "csv"}}})
	if m.Written != 30 {
		t.Errorf("%+v", m)
	}
	if n := count(t, e.wh.DB(), `SELECT count(*) FROM from_csv WHERE _src = 'csv' AND amount = 4.5`); n != 3 {
		t.Errorf("%d rows", n)
	}
}

// Added, dropped, widened and commented source columns adapt the target
// before the run, and each change is recorded.
func TestDDLAdaptation(t *testing.T) {
	dsn, db := mariaDB(t)
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, a INT COMMENT 'first', b VARCHAR(10), c INT NOT NULL)",
		"INSERT INTO t VALUES (1, 1, 'x', 1), (2, 2, 'y', 2)")
	e := newEnv(t)
	e.addMySQL("shop", dsn)
	spec := &meta.SyncSpec{Mode: meta.SyncFull, Source: meta.SyncSource{Engine: "shop", Table: "t"}, Target: meta.SyncTarget{Table: "t"}}
	e.sync("t", spec)
	mustExec(t, e.wh.DB(), `ALTER TABLE t ALTER COLUMN c SET NOT NULL`)
	mustExec(t, db, "ALTER TABLE t ADD COLUMN d DECIMAL(10,2) COMMENT 'new one'", "ALTER TABLE t DROP COLUMN c",
		"ALTER TABLE t MODIFY a BIGINT COMMENT 'changed'", "INSERT INTO t VALUES (3, 9000000000, 'z', 1.50)")
	e.sync("t", spec)
	cols, err := newWarehouseCols(t, e, "t")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(cols)
	want := "[{id INTEGER  true} {a BIGINT changed true} {b VARCHAR  true} {c INTEGER  true} {d DECIMAL(10,2) new one true}]"
	if got != want {
		t.Errorf("target columns\n got %s\nwant %s", got, want)
	}
	if n := count(t, e.wh.DB(), `SELECT count(*) FROM t WHERE c IS NULL`); n != 3 {
		t.Errorf("the dropped column should be NULL in every new row, %d are", n)
	}
	if n := count(t, e.wh.DB(), `SELECT count(*) FROM _kiln_sync.schema_changes`); n != 5 {
		t.Errorf("%d schema changes recorded, want 5 (add, comment, widen, comment, nullable)", n)
	}
	spec.DroppedColumns = "fail"
	if err := e.syncErr("t", spec); err == nil || !strings.Contains(err.Error(), "column c is no longer in the source") {
		t.Errorf("dropped_columns fail: %v", err)
	}
}

// One sync merges orders_NN tables of two databases into one target.
func TestShardedMerge(t *testing.T) {
	dsn1, db1 := mariaDB(t)
	_, db2 := mariaDB(t)
	var names []string
	for i, db := range []*sql.DB{db1, db2} {
		var name string
		db.QueryRowContext(t.Context(), "SELECT DATABASE()").Scan(&name)
		names = append(names, name)
		for s := range 3 {
			tbl := fmt.Sprintf("orders_%02d", s)
			mustExec(t, db, "CREATE TABLE "+tbl+" (id INT PRIMARY KEY, amount DECIMAL(8,2))",
				fmt.Sprintf("INSERT INTO %s VALUES (1, %d.10), (2, 2.20)", tbl, i*10+s))
		}
		mustExec(t, db, "CREATE TABLE other (id INT)")
	}
	e := newEnv(t)
	e.addMySQL("shop", dsn1)
	spec := &meta.SyncSpec{Mode: meta.SyncIncremental, Cursor: "id",
		Source: meta.SyncSource{Engine: "shop", Databases: names, Tables: []string{`/orders_\d+/`}}, Target: meta.SyncTarget{Table: "orders"}}
	m := e.sync("orders", spec)
	if m.Written != 12 {
		t.Errorf("%+v", m)
	}
	if n := count(t, e.wh.DB(), fmt.Sprintf(`SELECT count(DISTINCT (_src_db, _src_table)) FROM orders WHERE _src_db IN ('%s', '%s')`, names[0], names[1])); n != 6 {
		t.Errorf("%d shards in the target", n)
	}
	mustExec(t, db2, "INSERT INTO orders_01 VALUES (3, 3.30)")
	if m := e.sync("orders", spec); m.Written != 1 {
		t.Errorf("incremental over shards wrote %d", m.Written)
	}
	if n := count(t, e.wh.DB(), `SELECT count(*) FROM orders`); n != 13 {
		t.Errorf("%d rows", n)
	}
}

// Bad input fails before anything is written and leaves the target as it was.
func TestBadInput(t *testing.T) {
	dsn, db := mariaDB(t)
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10))", "INSERT INTO t VALUES (1, 'a')")
	pg := testenv.Postgres(t)
	pdb, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	mustExec(t, pdb, "CREATE TABLE shapes (id int PRIMARY KEY, p point)")
	e := newEnv(t)
	e.addMySQL("shop", dsn)
	e.addPostgres("pg", pg)
	e.addMySQL("down", "root@tcp(127.0.0.1:1)/x?timeout=2s")
	e.addMySQL("badpw", strings.Replace(dsn, "root@", "root:wrong-password@", 1))
	mustExec(t, e.wh.DB(), "CREATE TABLE target (id VARCHAR, name DATE)", "INSERT INTO target VALUES ('keep', DATE '2024-01-07')")
	spec := func(src meta.SyncSource, mut func(*meta.SyncSpec)) *meta.SyncSpec {
		s := &meta.SyncSpec{Mode: meta.SyncFull, Source: src, Target: meta.SyncTarget{Table: "target"}}
		if mut != nil {
			mut(s)
		}
		return s
	}
	incremental := func(s *meta.SyncSpec) { s.Mode, s.Cursor = meta.SyncIncremental, "updated_at" }
	cases := []struct {
		name string
		spec *meta.SyncSpec
		want string
	}{
		{"unreachable", spec(meta.SyncSource{Engine: "down", Table: "t"}, nil), "source down: cannot connect"},
		{"password", spec(meta.SyncSource{Engine: "badpw", Table: "t"}, nil), "Access denied"},
		{"missing table", spec(meta.SyncSource{Engine: "shop", Table: "nope"}, nil), "table nope not found"},
		{"missing cursor", spec(meta.SyncSource{Engine: "shop", Table: "t"}, incremental), "cursor column updated_at is not in source table t"},
		{"unknown type", spec(meta.SyncSource{Engine: "pg", Table: "shapes"}, nil), "column p: type the sync mapping does not know: Postgres point"},
		{"incompatible target", spec(meta.SyncSource{Engine: "shop", Table: "t"}, nil), "column name has type DATE, incompatible with the source's VARCHAR"},
	}
	for _, c := range cases {
		err := e.syncErr("bad", c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
		if n := count(t, e.wh.DB(), "SELECT count(*) FROM target WHERE id = 'keep' AND name = DATE '2024-01-07'"); n != 1 {
			t.Errorf("%s: the target changed", c.name)
		}
	}
	if n := count(t, e.wh.DB(), "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '%__kiln_%'"); n != 0 {
		t.Errorf("bad input left %d staging tables", n)
	}
}
