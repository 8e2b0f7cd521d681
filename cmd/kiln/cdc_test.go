package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/integration"
	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/sources"
)

const shopOrders = `CREATE TABLE orders (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  customer VARCHAR(40) NOT NULL,
  amount DECIMAL(12,2),
  status ENUM('new','paid','shipped'),
  created DATETIME(3),
  seen TIMESTAMP NULL,
  note TEXT,
  ratio DOUBLE
)`

// Canonical text of every column, on each side.
const (
	srcCols = "id, customer, CAST(amount AS CHAR), CAST(status AS CHAR), DATE_FORMAT(created, '%Y-%m-%d %H:%i:%s.%f'), DATE_FORMAT(seen, '%Y-%m-%d %H:%i:%s'), note, ratio"
	dstCols = "id, customer, CAST(amount AS VARCHAR), status, strftime(created, '%Y-%m-%d %H:%M:%S.%f'), strftime(timezone('UTC', seen), '%Y-%m-%d %H:%M:%S'), note, ratio"
)

// shopDB is a fresh MariaDB database with orders, its DSN, and a pool
// whose sessions read timestamps in UTC.
func shopDB(t *testing.T) (string, *sql.DB) {
	dsn := testenv.MariaDB(t)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(shopOrders); err != nil {
		t.Fatal(err)
	}
	return dsn, db
}

func shopProject(t *testing.T, dsn, task string) string {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return writeProject(t, map[string]string{
		"kiln.yaml": fmt.Sprintf(`name: shop
default_engine: warehouse
engines:
  warehouse:
    kind: duckdb
  shop:
    kind: mysql
    dsn: mysql://%s@%s/%s
defaults:
  owner: tester
  retries: 0
  timeout: 5m
`, cfg.User, cfg.Addr, cfg.DBName),
		"tasks/" + task + ".yaml": "",
	})
}

// writeOrders runs n inserts, updates and deletes on orders.
func writeOrders(ctx context.Context, db *sql.DB, seed, n int) error {
	for i := 0; i < n; i++ {
		k := seed*1000000 + i
		var q string
		switch i % 10 {
		case 0, 1, 2, 3, 4, 5:
			q = fmt.Sprintf(`INSERT INTO orders (customer, amount, status, created, seen, note, ratio)
VALUES ('c%d', %d.%02d, 'new', NOW(3), NOW(), 'note %d', %d.25)`, k%97, k%1000, k%100, k, k%7)
		case 6:
			q = fmt.Sprintf(`UPDATE orders SET status = 'paid', amount = amount + 1, seen = NULL WHERE id %% 7 = %d`, k%7)
		case 7:
			q = fmt.Sprintf(`DELETE FROM orders WHERE id %% 11 = %d LIMIT 1`, k%11)
		default:
			q = fmt.Sprintf(`UPDATE orders SET note = CONCAT(note, '!') WHERE id %% 13 = %d`, k%13)
		}
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// columnSums is the row count and, per column, the null count and an
// order-independent hash of the values' canonical text.
func columnSums(t *testing.T, db *sql.DB, q string) string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	raw := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	sums, nulls, n := make([]uint64, len(cols)), make([]int, len(cols)), 0
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
	var b strings.Builder
	fmt.Fprintf(&b, "rows %d", n)
	for i := range cols {
		fmt.Fprintf(&b, "; col %d nulls %d sum %x", i, nulls[i], sums[i])
	}
	return b.String()
}

// compareWarehouse stops nothing: call it once the server is down. It
// compares orders in MariaDB with table in the server's warehouse file.
func compareWarehouse(t *testing.T, src *sql.DB, dataDir, table string) {
	t.Helper()
	wh, err := duckdb.Open("warehouse", filepath.Join(dataDir, sources.WarehouseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	want := columnSums(t, src, "SELECT "+srcCols+" FROM orders")
	got := columnSums(t, wh.DB(), "SELECT "+dstCols+" FROM "+table)
	if want != got {
		t.Fatalf("source and warehouse differ:\nsource    %s\nwarehouse %s", want, got)
	}
	t.Logf("equal: %s", want[:strings.IndexByte(want, ';')])
}

// A CDC job in a real kiln server is killed with SIGKILL while a writer
// inserts, updates and deletes; the restarted server resumes it from the
// position committed with the rows, and the target ends exactly equal to
// the source: nothing lost, nothing applied twice.
func TestCDCKill9(t *testing.T) {
	dsn, db := shopDB(t)
	ctx := context.Background()
	if err := writeOrders(ctx, db, 1, 500); err != nil {
		t.Fatal(err)
	}
	dir := shopProject(t, dsn, "orders_cdc")
	os.WriteFile(filepath.Join(dir, "tasks/orders_cdc.yaml"), []byte(`type: sync
sync:
  mode: cdc
  source: {engine: shop, table: orders}
  target: {table: ods_orders}
  chunk_rows: 100
  batch_rows: 50
`), 0o644)
	data, addr := t.TempDir(), freeAddr(t)
	args := []string{"server", "--data", data, "--addr", addr, "--project", dir}
	p := startProc(t, args...)
	p.waitHealthy(addr)
	c := client.New(addr, testToken)
	if _, err := c.CDC(ctx, "shop", "orders_cdc", "start"); err != nil {
		t.Fatal(err)
	}
	var writes atomic.Int64
	werr := make(chan error, 1)
	go func() {
		for i := 0; i < 40; i++ {
			if err := writeOrders(ctx, db, 10+i, 50); err != nil {
				werr <- err
				return
			}
			writes.Add(50)
		}
		werr <- nil
	}()
	status := func() *integration.CDCStatus {
		st, err := c.CDC(ctx, "shop", "orders_cdc", "status")
		if err != nil {
			return &integration.CDCStatus{}
		}
		return st
	}
	deadline := time.Now().Add(2 * time.Minute)
	for st := status(); st.RowsApplied == 0 || writes.Load() < 600; st = status() {
		if time.Now().After(deadline) {
			t.Fatalf("cdc applied nothing: %+v\n%s", st, p.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.kill9()
	t.Logf("killed after %d writes", writes.Load())
	p = startProc(t, args...)
	p.waitHealthy(addr)
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	file, pos := masterStatus(t, db)
	deadline = time.Now().Add(2 * time.Minute)
	for st := status(); st.State != integration.CDCStreaming || st.File != file || st.Pos < pos; st = status() {
		if time.Now().After(deadline) {
			t.Fatalf("cdc did not catch up to %s:%d: %+v\n%s", file, pos, st, p.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out := p.log.String(); !strings.Contains(out, "cdc streaming") {
		t.Fatalf("the restarted server did not resume the job:\n%s", out)
	}
	p.stop()
	compareWarehouse(t, db, data, "ods_orders")
}

func masterStatus(t *testing.T, db *sql.DB) (string, uint32) {
	var file, a, b string
	var pos uint32
	if err := db.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, &a, &b); err != nil {
		t.Fatal(err)
	}
	return file, pos
}

// A batch sync of a real server is killed with SIGKILL mid-load; a rerun
// resumes from the last committed chunk and the target equals the source.
func TestSyncKill9Resume(t *testing.T) {
	dsn, db := shopDB(t)
	if _, err := db.Exec(`INSERT INTO orders (customer, amount, status, created, seen, note, ratio)
SELECT CONCAT('c', seq % 97), (seq % 100000) / 100, ELT(1 + seq % 3, 'new', 'paid', 'shipped'),
  '2024-01-01 00:00:00.123' + INTERVAL seq SECOND, IF(seq % 5 = 0, NULL, '2024-02-01' + INTERVAL seq MINUTE),
  REPEAT('x', seq % 20), seq / 8 FROM seq_1_to_200000`); err != nil {
		t.Fatal(err)
	}
	dir := shopProject(t, dsn, "orders_full")
	os.WriteFile(filepath.Join(dir, "tasks/orders_full.yaml"), []byte(`type: sync
sync:
  mode: full
  source: {engine: shop, table: orders}
  target: {table: ods_orders}
  chunk_rows: 5000
  rows_per_second: 40000
`), 0o644)
	data, addr := t.TempDir(), freeAddr(t)
	args := []string{"server", "--data", data, "--addr", addr, "--project", dir}
	p := startProc(t, args...)
	p.waitHealthy(addr)
	k := &kiln{t: t, addr: addr}
	k.mustCLI("run", "orders_full", "-p", "shop", "--bizdate", "2024-03-01")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out := k.cli("sql", "-p", "shop", "SELECT count(*) AS n FROM ods_orders__kiln_stage", "--format", "csv")
		var n int
		if out.code == 0 {
			fmt.Sscanf(strings.TrimPrefix(out.stdout, "n\n"), "%d", &n)
		}
		if n >= 50000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the load did not get going: %+v\n%s", out, p.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.kill9()
	p = startProc(t, args...)
	p.waitHealthy(addr)
	out := k.mustCLI("run", "orders_full", "-p", "shop", "--bizdate", "2024-03-01", "--wait", "--json")
	var inst meta.Instance
	if err := json.Unmarshal([]byte(out), &inst); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if inst.State != meta.StateSuccess {
		t.Fatalf("rerun: %+v", inst)
	}
	logText := k.mustCLI("instance", "logs", fmt.Sprint(inst.ID))
	if !strings.Contains(logText, "sync: resuming the load") {
		t.Fatalf("the rerun did not resume from a checkpoint:\n%s", logText)
	}
	// The run's metrics are kept on the instance.
	if show := k.mustCLI("instance", "show", fmt.Sprint(inst.ID)); !strings.Contains(show, "written 200000, dirty 0") {
		t.Errorf("instance show lacks the sync metrics:\n%s", show)
	}
	p.stop()
	compareWarehouse(t, db, data, "ods_orders")
}
