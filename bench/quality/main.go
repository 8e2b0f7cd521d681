// Command quality measures how long ten column rules take on one
// partition of a DuckDB table, against one hand-written SELECT computing
// the same aggregates: the rules engine should cost about one scan.
//
//	go run ./bench/quality -rows 10000000 -reps 5
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
	"github.com/kilnhq/kiln/quality"
)

func main() {
	rows := flag.Int("rows", 10_000_000, "rows in the measured partition")
	reps := flag.Int("reps", 5, "repetitions; the median is reported")
	flag.Parse()
	if err := run(*rows, *reps); err != nil {
		log.Fatal(err)
	}
}

func fp(v float64) *float64 { return &v }

func run(rows, reps int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kiln-bench-quality")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	wh, err := duckdb.Open("warehouse", filepath.Join(dir, "wh.duckdb"))
	if err != nil {
		return err
	}
	defer wh.Close()
	store, err := sqlitemeta.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	start := time.Now()
	// Two partitions, so the rules must filter to theirs.
	_, err = wh.Exec(ctx, fmt.Sprintf(`CREATE TABLE t AS SELECT CASE WHEN i %% 2 = 0 THEN '2024-03-01' ELSE '2024-03-02' END AS dt,
		i AS id, (i * 7919) %% 100000 AS amount, CASE WHEN i %% 97 = 0 THEN NULL ELSE 'user' || (i %% 5000) END AS email,
		['paid', 'refunded', 'open'][1 + i %% 3] AS status, (i %% 1000) / 10.0 AS score FROM range(%d) r(i)`, 2*rows))
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d rows (two partitions of %d) in %s\n", 2*rows, rows, time.Since(start).Round(time.Millisecond))
	p, err := store.CreateProject(ctx, &meta.CreateProjectParams{Name: "bench"})
	if err != nil {
		return err
	}
	rules := []meta.QualityRule{
		{Check: meta.CheckNullRate, Column: "email", Max: fp(0.1)},
		{Check: meta.CheckNullCount, Column: "amount", Max: fp(0)},
		{Check: meta.CheckDistinct, Column: "status", Max: fp(3)},
		{Check: meta.CheckInSet, Column: "status", Values: []string{"paid", "refunded", "open"}},
		{Check: meta.CheckRange, Column: "score", Min: fp(0), Max: fp(100)},
		{Check: meta.CheckMin, Column: "amount", Min: fp(0)},
		{Check: meta.CheckMax, Column: "amount", Max: fp(1e6)},
		{Check: meta.CheckSum, Column: "amount", Min: fp(0)},
		{Check: meta.CheckMean, Column: "score", Min: fp(0)},
		{Check: meta.CheckRowCount, Min: fp(1)},
	}
	chk := quality.New(quality.Config{}, store, nil, nil)
	period := &quality.Period{ProjectID: p.ID, Task: "t", Bizdate: "2024-03-01", Engine: wh, Table: "t", Where: `"dt" = '2024-03-01'`}
	direct := `SELECT count(*), count(*) - count(email), count(*) - count(amount), count(DISTINCT status),
		sum(CASE WHEN status IS NOT NULL AND CAST(status AS VARCHAR) NOT IN ('paid', 'refunded', 'open') THEN 1 ELSE 0 END),
		sum(CASE WHEN score < 0 OR score > 100 THEN 1 ELSE 0 END), CAST(min(amount) AS DOUBLE), CAST(max(amount) AS DOUBLE),
		CAST(sum(amount) AS DOUBLE), CAST(avg(score) AS DOUBLE) FROM t WHERE dt = '2024-03-01'`
	var rulesT, directT []time.Duration
	for range reps {
		// Interleaved, so both see the same cache state.
		t0 := time.Now()
		for _, r := range chk.Run(ctx, period, rules) {
			if r.Verdict == meta.VerdictError {
				return fmt.Errorf("rule %s: %s", r.Rule, r.Message)
			}
		}
		rulesT = append(rulesT, time.Since(t0))
		t0 = time.Now()
		if err := scan(ctx, wh, direct); err != nil {
			return err
		}
		directT = append(directT, time.Since(t0))
	}
	r, d := median(rulesT), median(directT)
	fmt.Printf("10 column rules on %d rows: %s (median of %d); one direct SELECT of the same aggregates: %s; ratio %.2f\n",
		rows, r.Round(time.Millisecond), reps, d.Round(time.Millisecond), float64(r)/float64(d))
	return nil
}

func scan(ctx context.Context, eng engine.Engine, q string) error {
	rows, err := eng.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
