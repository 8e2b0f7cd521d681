package integration

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta"
)

const sinkSourceDDL = `CREATE TABLE orders (
  id INT PRIMARY KEY,
  name VARCHAR(40) NOT NULL,
  amount DECIMAL(12,2),
  big DECIMAL(30,4),
  qty INT UNSIGNED,
  created DATETIME(3),
  seen TIMESTAMP NULL,
  day DATE,
  t TIME,
  doc JSON,
  data BLOB,
  ratio DOUBLE,
  dt VARCHAR(10),
  updated DATETIME(3) NOT NULL
)`

var sinkCols = []string{"id", "name", "amount", "big", "qty", "created", "seen", "day", "t", "doc", "data", "ratio", "dt"}

// sinkRows reads a table's rows in id order as canonical text, so MySQL
// and Postgres values compare (numbers exactly, times in UTC, JSON parsed).
func sinkRows(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT "+strings.Join(sinkCols, ", ")+" FROM "+table+" ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	vals := make([]any, len(sinkCols))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = sinkCanonical(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sinkCanonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return strings.TrimSuffix(x.UTC().Format("2006-01-02T15:04:05.999999"), "T00:00:00")
	case []byte:
		v = string(x)
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	s := fmt.Sprint(v)
	if r, ok := new(big.Rat).SetString(s); ok {
		return r.RatString()
	}
	if tm, err := time.Parse("2006-01-02 15:04:05.999999", s); err == nil {
		return strings.TrimSuffix(tm.Format("2006-01-02T15:04:05.999999"), "T00:00:00")
	}
	if tm, err := time.Parse("15:04:05.999999", s); err == nil {
		return tm.Format("15:04:05.999999")
	}
	if strings.HasPrefix(s, "{") {
		var j any
		if json.Unmarshal([]byte(s), &j) == nil {
			b, _ := json.Marshal(j)
			return string(b)
		}
	}
	return s
}

// Syncs from MariaDB into MariaDB and Postgres sinks, in full, incremental
// and partition modes: the sink tables are created with the reverse type
// mapping and end equal to the source; a failing full refresh leaves the
// sink as it was.
func TestSQLSinks(t *testing.T) {
	dsn, src := mariaDB(t)
	mustExec(t, src, sinkSourceDDL)
	mustExec(t, src, `INSERT INTO orders SELECT seq, CONCAT('customer ', seq), seq * 1.25, IF(seq % 4 = 0, NULL, seq * 123456789.1234),
  seq * 100000, TIMESTAMP('2024-01-01 10:00:00.125') + INTERVAL seq MINUTE, IF(seq % 3 = 0, NULL, TIMESTAMP('2024-02-01') + INTERVAL seq HOUR),
  DATE('2024-01-01') + INTERVAL seq % 30 DAY, SEC_TO_TIME(seq * 7), IF(seq % 5 = 0, NULL, CONCAT('{"k": ', seq, ', "tag": "t', seq % 3, '"}')),
  IF(seq % 2 = 0, NULL, UNHEX(HEX(seq))), seq / 3, IF(seq % 2 = 0, '2024-01-01', '2024-01-02'), '2024-01-01 00:00:00' FROM seq_1_to_2500`)
	want := func() []string { return sinkRows(t, src, "orders") }

	e := newEnv(t)
	e.addMySQL("shop", dsn)
	myDSN, my := mariaDB(t)
	e.addMySQL("out_my", myDSN)
	pgURL := testenv.Postgres(t)
	pg := e.addPostgres("out_pg", pgURL).DB()
	sinks := []struct {
		engine, table string
		db            *sql.DB
	}{{"out_my", "orders_copy", my}, {"out_pg", "public.orders_copy", pg}}

	for _, s := range sinks {
		spec := &meta.SyncSpec{Mode: meta.SyncFull, ChunkRows: 700, Source: meta.SyncSource{Engine: "shop", Table: "orders"},
			Target: meta.SyncTarget{Engine: s.engine, Table: s.table}, Drop: []string{"updated"}}
		m := e.sync("full_"+s.engine, spec)
		if m.Written != 2500 {
			t.Errorf("%s: wrote %d rows, want 2500", s.engine, m.Written)
		}
		if got := sinkRows(t, s.db, "orders_copy"); !slices.Equal(got, want()) {
			t.Fatalf("%s: full sync differs from the source; first rows\n got %q\nwant %q", s.engine, got[:2], want()[:2])
		}
	}

	// Incremental on updated: changed and new rows merge on the key.
	for _, s := range sinks {
		spec := &meta.SyncSpec{Mode: meta.SyncIncremental, Cursor: "updated", ChunkRows: 300,
			Source: meta.SyncSource{Engine: "shop", Table: "orders"}, Target: meta.SyncTarget{Engine: s.engine, Table: "orders_inc"}}
		e.sync("inc_"+s.engine, spec)
	}
	mustExec(t, src, "UPDATE orders SET name = CONCAT(name, ' (moved)'), amount = amount + 1, updated = '2024-03-01 00:00:00' WHERE id % 10 = 0",
		`INSERT INTO orders (id, name, amount, created, dt, updated) SELECT seq, CONCAT('new ', seq), 9.99, '2024-03-02 08:00:00', '2024-01-02', '2024-03-02 00:00:00' FROM seq_2501_to_2600`)
	for _, s := range sinks {
		spec := &meta.SyncSpec{Mode: meta.SyncIncremental, Cursor: "updated", ChunkRows: 300,
			Source: meta.SyncSource{Engine: "shop", Table: "orders"}, Target: meta.SyncTarget{Engine: s.engine, Table: "orders_inc"}}
		m := e.sync("inc_"+s.engine, spec)
		if m.Read != 350 {
			t.Errorf("%s: the incremental run read %d rows, want the 350 changed or new", s.engine, m.Read)
		}
		if got := sinkRows(t, s.db, "orders_inc"); !slices.Equal(got, want()) {
			t.Fatalf("%s: incremental sync differs from the source", s.engine)
		}
	}

	// Partition: only the period's rows are replaced.
	mustExec(t, src, "DELETE FROM orders WHERE dt = '2024-01-02' AND id % 7 = 0", "UPDATE orders SET qty = 1 WHERE dt = '2024-01-02'")
	for _, s := range sinks {
		spec := &meta.SyncSpec{Mode: meta.SyncPartition, PartitionColumn: "dt", PartitionValue: "2024-01-02",
			Source: meta.SyncSource{Engine: "shop", Table: "orders", Where: "dt = '2024-01-02'"},
			Target: meta.SyncTarget{Engine: s.engine, Table: "orders_inc"}}
		e.sync("part_"+s.engine, spec)
		if got := sinkRows(t, s.db, "orders_inc"); !slices.Equal(got, want()) {
			t.Fatalf("%s: partition sync differs from the source", s.engine)
		}
	}

	// A full refresh that fails (a dirty row, no limit) leaves the sink.
	conn, err := src.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SET SESSION sql_mode = ''", "INSERT INTO orders (id, name, day, updated) VALUES (9999, 'zero', '0000-00-00', NOW())"} {
		if _, err := conn.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	for _, s := range sinks {
		before := sinkRows(t, s.db, "orders_copy")
		spec := &meta.SyncSpec{Mode: meta.SyncFull, Source: meta.SyncSource{Engine: "shop", Table: "orders"},
			Target: meta.SyncTarget{Engine: s.engine, Table: s.table}, Drop: []string{"updated"}}
		if err := e.syncErr("full_"+s.engine, spec); err == nil || !strings.Contains(err.Error(), "dirty") {
			t.Fatalf("%s: a sync with a dirty row: %v, want the dirty-limit error", s.engine, err)
		}
		if got := sinkRows(t, s.db, "orders_copy"); !slices.Equal(got, before) {
			t.Fatalf("%s: a failed full refresh changed the sink", s.engine)
		}
	}
}

// Syncs write whole CSV and Parquet files that read back equal to the
// source; an incremental file target and a missing directory fail before
// anything is written.
func TestFileSinks(t *testing.T) {
	dsn, src := mariaDB(t)
	mustExec(t, src, sinkSourceDDL, `INSERT INTO orders (id, name, amount, created, dt, updated)
  SELECT seq, CONCAT('c', seq), seq * 0.5, TIMESTAMP('2024-01-01') + INTERVAL seq SECOND, '2024-01-01', NOW() FROM seq_1_to_3000`)
	e := newEnv(t)
	e.addMySQL("shop", dsn)
	if err := os.Mkdir(filepath.Join(e.dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	wantSum := count(t, src, "SELECT CAST(SUM(amount) * 2 AS SIGNED) FROM orders")
	for _, f := range []string{"out/orders.parquet", "out/orders.csv"} {
		spec := &meta.SyncSpec{Source: meta.SyncSource{Engine: "shop", Table: "orders"}, Target: meta.SyncTarget{Files: f}, ChunkRows: 1000}
		for range 2 { // the second run replaces the file
			if m := e.sync("file", spec); m.Written != 3000 {
				t.Fatalf("%s: wrote %d rows", f, m.Written)
			}
		}
		reader := "read_parquet"
		if strings.HasSuffix(f, ".csv") {
			reader = "read_csv"
		}
		q := fmt.Sprintf("SELECT CAST(SUM(amount) * 2 AS BIGINT) FROM %s('%s') HAVING count(*) = 3000", reader, filepath.Join(e.dir, f))
		if got := count(t, e.wh.DB(), q); got != wantSum {
			t.Errorf("%s: sum %d, want %d", f, got, wantSum)
		}
	}
	for _, c := range []struct {
		spec *meta.SyncSpec
		want string
	}{
		{&meta.SyncSpec{Mode: meta.SyncIncremental, Cursor: "updated", Target: meta.SyncTarget{Files: "out/x.parquet"}}, "written whole"},
		{&meta.SyncSpec{Target: meta.SyncTarget{Files: "missing/x.parquet"}}, "does not exist"},
		{&meta.SyncSpec{Target: meta.SyncTarget{Files: "out/x.json"}}, "unknown format"},
	} {
		c.spec.Source = meta.SyncSource{Engine: "shop", Table: "orders"}
		if err := e.syncErr("bad", c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("target %s: %v, want an error saying %q", c.spec.Target.Files, err, c.want)
		}
	}
}
