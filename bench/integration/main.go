// Command integration measures sync throughput: a generated 11-column
// MariaDB table (mixed integers, decimals, varchars, datetimes, NULLs) is
// synced into a DuckDB warehouse by Kiln's sync executor, beside
// `mysql --quick -e 'SELECT ...' > /dev/null` on the same table in the same
// run (interleaved, medians reported), with the process CPU per row; and
// CDC applying a steady stream of source writes (cdc.go).
//
//	go run ./bench/integration -rows 5000000 -reps 3
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/engine/mysql"
	"github.com/kilnhq/kiln/integration"
	"github.com/kilnhq/kiln/logstore"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/runner"
)

func main() {
	dsn := flag.String("dsn", "root@tcp(127.0.0.1:3306)/kiln_bench", "MariaDB database to generate the table in")
	rows := flag.Int("rows", 5_000_000, "rows in the generated table")
	reps := flag.Int("reps", 3, "repetitions of each measurement; medians are reported")
	parallel := flag.Int("parallel", 0, "sync.parallel: chunk readers (0: the default)")
	chunk := flag.Int("chunk", 0, "sync.chunk_rows (0: the default)")
	only := flag.String("only", "sync,cdc", "what to measure: sync, cdc")
	cdcRate := flag.Int("cdc-rate", 10_000, "source rows/s written while CDC runs")
	cdcFor := flag.Duration("cdc-for", 30*time.Second, "how long the CDC write load lasts")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the sync runs here")
	flag.Parse()
	ctx := context.Background()
	if strings.Contains(*only, "sync") {
		if err := benchSync(ctx, *dsn, *rows, *reps, *parallel, *chunk, *prof); err != nil {
			log.Fatal(err)
		}
	}
	if strings.Contains(*only, "cdc") {
		if err := benchCDC(ctx, *dsn, *cdcRate, *cdcFor); err != nil {
			log.Fatal(err)
		}
	}
}

// engines is a fixed set of engines by name.
type engines map[string]engine.Engine

func (e engines) Engine(_ context.Context, _ int64, name string) (engine.Engine, error) {
	if x, ok := e[name]; ok {
		return x, nil
	}
	return nil, fmt.Errorf("engine %q: %w", name, meta.ErrNotFound)
}

const tableDDL = `CREATE TABLE t11 (
  id BIGINT PRIMARY KEY,
  user_id INT NOT NULL,
  qty SMALLINT,
  amount DECIMAL(12,2),
  rate DECIMAL(10,4),
  name VARCHAR(40) NOT NULL,
  note VARCHAR(255),
  created DATETIME NOT NULL,
  updated DATETIME,
  score DOUBLE,
  status TINYINT
)`

// genTable creates kiln_bench.t11 with n rows unless it already has them.
func genTable(ctx context.Context, dsn string, n int) error {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return err
	}
	dbName := cfg.DBName
	cfg.DBName = ""
	m, err := mysql.Open("gen", cfg.FormatDSN(), "")
	if err != nil {
		return err
	}
	defer m.Close()
	db := m.DB()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+dbName); err != nil {
		return err
	}
	var have int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+dbName+".t11").Scan(&have); err == nil && have == n {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	start := time.Now()
	stmts := []string{"SET sql_log_bin = 0", "USE " + dbName, "DROP TABLE IF EXISTS t11", tableDDL}
	const step = 500_000
	for lo := 1; lo <= n; lo += step {
		hi := min(lo+step-1, n)
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO t11 SELECT seq, seq * 7919 %% 1000003, IF(seq %% 9 = 0, NULL, seq %% 500),
  (seq %% 100000) / 100 + 0.01, IF(seq %% 11 = 0, NULL, (seq %% 99991) / 10000),
  CONCAT('customer-', seq %% 77777), IF(seq %% 5 = 0, NULL, CONCAT('note for row ', seq, ': ', REPEAT('x', seq %% 40))),
  TIMESTAMP('2020-01-01') + INTERVAL seq SECOND, IF(seq %% 3 = 0, NULL, TIMESTAMP('2021-06-01') + INTERVAL seq * 3 SECOND),
  IF(seq %% 13 = 0, NULL, seq / 7.0), seq %% 4
FROM seq_%d_to_%d`, lo, hi))
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%.60s: %w", s, err)
		}
	}
	fmt.Printf("generated %d rows in %s\n", n, time.Since(start).Round(time.Second))
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clientRun times the mysql client reading the table into /dev/null.
func clientRun(ctx context.Context, dsn string) (time.Duration, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return 0, err
	}
	host, port, _ := strings.Cut(cfg.Addr, ":")
	args := []string{"--quick", "-h", host, "-u", cfg.User, "-e", "SELECT * FROM " + cfg.DBName + ".t11"}
	if port != "" {
		args = append(args, "-P", port)
	}
	if cfg.Passwd != "" {
		args = append(args, "-p"+cfg.Passwd)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	cmd := exec.CommandContext(ctx, "mysql", args...)
	cmd.Stdout, cmd.Stderr = null, os.Stderr
	start := time.Now()
	err = cmd.Run()
	return time.Since(start), err
}

// syncResult is one Kiln sync: wall time, process CPU, and the time the
// appender took (DuckDB's side of the CPU).
type syncResult struct {
	wall, cpu, readCPU, targetCPU time.Duration
	rows                          int64
}

func kilnRun(ctx context.Context, dsn string, parallel, chunk int, seq int64) (syncResult, error) {
	dir, err := os.MkdirTemp("", "kiln-bench-integration")
	if err != nil {
		return syncResult{}, err
	}
	defer os.RemoveAll(dir)
	wh, err := duckdb.Open("warehouse", filepath.Join(dir, "wh.duckdb"))
	if err != nil {
		return syncResult{}, err
	}
	defer wh.Close()
	src, err := mysql.Open("src", dsn, "")
	if err != nil {
		return syncResult{}, err
	}
	defer src.Close()
	logs, err := logstore.New(filepath.Join(dir, "logs"))
	if err != nil {
		return syncResult{}, err
	}
	lw, err := logs.Open(seq)
	if err != nil {
		return syncResult{}, err
	}
	defer lw.Close()
	job := &runner.Job{
		Instance: &meta.Instance{ID: seq},
		Spec: &meta.TaskSpec{Name: "t11", Type: meta.TaskSync, Sync: &meta.SyncSpec{Mode: meta.SyncFull, Parallel: parallel, ChunkRows: chunk,
			Source: meta.SyncSource{Engine: "src", Table: "t11"}, Target: meta.SyncTarget{Table: "t11"}}},
		Project: &meta.Project{ID: 1, Name: "bench", DefaultEngine: "warehouse"},
		Log:     lw,
		Engines: engines{"src": src, "warehouse": wh},
	}
	c0, start := cpuTime(), time.Now()
	m, err := (&integration.Executor{BaseDir: dir}).Sync(ctx, job)
	if err != nil {
		return syncResult{}, err
	}
	return syncResult{wall: time.Since(start), cpu: cpuTime() - c0, readCPU: m.ReadCPU, targetCPU: m.TargetCPU, rows: m.Written}, nil
}

func benchSync(ctx context.Context, dsn string, rows, reps, parallel, chunk int, prof string) error {
	if err := genTable(ctx, dsn, rows); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var client, wall, cpu, readCPU, targetCPU []time.Duration
	for r := range reps {
		// Interleaved, so both see the same load on the shared machine.
		cd, err := clientRun(ctx, dsn)
		if err != nil {
			return fmt.Errorf("mysql client: %w", err)
		}
		kr, err := kilnRun(ctx, dsn, parallel, chunk, int64(r+1))
		if err != nil {
			return fmt.Errorf("kiln sync: %w", err)
		}
		if kr.rows != int64(rows) {
			return fmt.Errorf("kiln sync wrote %d rows, want %d", kr.rows, rows)
		}
		client, wall, cpu = append(client, cd), append(wall, kr.wall), append(cpu, kr.cpu)
		readCPU, targetCPU = append(readCPU, kr.readCPU), append(targetCPU, kr.targetCPU)
		fmt.Printf("rep %d: mysql --quick %.2fs (%.0f rows/s); kiln %.2fs (%.0f rows/s, %.2fx); CPU µs/row: process %.2f, reader %.2f, warehouse writes %.2f\n",
			r+1, cd.Seconds(), float64(rows)/cd.Seconds(), kr.wall.Seconds(), float64(rows)/kr.wall.Seconds(), cd.Seconds()/kr.wall.Seconds(),
			perRow(kr.cpu, rows), perRow(kr.readCPU, rows), perRow(kr.targetCPU, rows))
	}
	cm, km := median(client), median(wall)
	fmt.Printf("\nsync %d rows x 11 columns, MariaDB -> DuckDB, medians of %d:\n", rows, reps)
	fmt.Printf("  mysql --quick > /dev/null  %8.0f rows/s\n", float64(rows)/cm.Seconds())
	fmt.Printf("  kiln sync (full)           %8.0f rows/s   ratio %.2fx (median of per-rep ratios %.2fx)\n",
		float64(rows)/km.Seconds(), cm.Seconds()/km.Seconds(), medianRatio(client, wall))
	fmt.Printf("  CPU per row: process %.2f µs; Go reader (driver + conversion) %.2f µs; warehouse writes (appender, commits) %.2f µs\n",
		perRow(median(cpu), rows), perRow(median(readCPU), rows), perRow(median(targetCPU), rows))
	return nil
}

func medianRatio(a, b []time.Duration) float64 {
	rs := make([]float64, len(a))
	for i := range a {
		rs[i] = a[i].Seconds() / b[i].Seconds()
	}
	slices.Sort(rs)
	return rs[len(rs)/2]
}

func perRow(d time.Duration, rows int) float64 { return float64(d.Microseconds()) / float64(rows) }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
