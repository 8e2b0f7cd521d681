package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/engine/mysql"
	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/integration"
	"github.com/kilnhq/kiln/meta"
)

const cdcDDL = `CREATE TABLE cdc_orders (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  created DATETIME(6) NOT NULL,
  amount DECIMAL(12,2),
  name VARCHAR(40),
  note VARCHAR(200),
  qty INT,
  score DOUBLE,
  updated DATETIME(6),
  flag TINYINT,
  ref BIGINT,
  status VARCHAR(10)
)`

// benchCDC runs a CDC job on a fresh table while a writer produces rate
// row changes a second (80% inserts, 20% updates) for d; it samples the
// end-to-end lag (now minus the newest created time in the warehouse)
// every 500 ms and reports the rows applied per second and the lag.
func benchCDC(ctx context.Context, dsn string, rate int, d time.Duration) error {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return err
	}
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	src, err := mysql.Open("src", cfg.FormatDSN(), "")
	if err != nil {
		return err
	}
	defer src.Close()
	db := src.DB()
	for _, s := range []string{"DROP TABLE IF EXISTS cdc_orders", cdcDDL} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "kiln-bench-cdc")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	wh, err := duckdb.Open("warehouse", filepath.Join(dir, "wh.duckdb"))
	if err != nil {
		return err
	}
	defer wh.Close()
	c := integration.NewCDC(integration.CDCConfig{BaseDir: dir}, nil, engines{"src": src, "warehouse": wh}, events.New(),
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	proj := &meta.Project{ID: 1, Name: "bench", DefaultEngine: "warehouse"}
	spec := &meta.TaskSpec{Name: "orders_cdc", Type: meta.TaskSync, Sync: &meta.SyncSpec{Mode: meta.SyncCDC,
		Source: meta.SyncSource{Engine: "src", Table: "cdc_orders"}, Target: meta.SyncTarget{Table: "cdc_orders"}}}
	if _, err := c.Launch(ctx, proj, spec); err != nil {
		return err
	}
	defer c.Stop()
	if err := waitState(c, integration.CDCStreaming, 60*time.Second); err != nil {
		return err
	}

	werr := make(chan error, 1)
	start := time.Now()
	var written int64
	var wrote time.Duration
	go func() {
		var err error
		written, err = writeLoad(ctx, db, rate, d)
		wrote = time.Since(start)
		werr <- err
	}()
	var lags []float64
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	writing := true
	var changes int64
	for {
		<-tick.C
		if writing {
			select {
			case err := <-werr:
				if err != nil {
					return fmt.Errorf("writer: %w", err)
				}
				writing = false
			default:
			}
		}
		var newest sql.NullTime
		if err := wh.DB().QueryRowContext(ctx, "SELECT max(created) FROM cdc_orders").Scan(&newest); err != nil {
			return err
		}
		if writing && newest.Valid {
			lags = append(lags, time.Since(newest.Time).Seconds())
		}
		if st := status(c); st != nil && st.Error != "" {
			return fmt.Errorf("cdc: %s", st.Error)
		}
		if !writing {
			var want, have int64
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM cdc_orders").Scan(&want); err != nil {
				return err
			}
			if err := wh.DB().QueryRowContext(ctx, "SELECT count(*) FROM cdc_orders").Scan(&have); err != nil {
				return err
			}
			st := status(c)
			if have == want && st != nil && st.EventsBehind == 0 {
				changes = st.RowsApplied
				break
			}
			if time.Since(start) > d+5*time.Minute {
				return fmt.Errorf("cdc did not catch up: %d of %d rows", have, want)
			}
		}
	}
	took := time.Since(start)
	slices.Sort(lags)
	if len(lags) == 0 {
		return fmt.Errorf("no lag samples")
	}
	fmt.Printf("\ncdc at %d source row changes/s for %s (80%% inserts in 1,000-row statements, 20%% updates):\n", rate, d)
	fmt.Printf("  source wrote %d row changes in %.1fs (%.0f/s)\n", written, wrote.Seconds(), float64(written)/wrote.Seconds())
	fmt.Printf("  applied %d row changes (repeats of a key within a batch merged) in %.1fs: %.0f rows/s sustained until caught up\n",
		changes, took.Seconds(), float64(changes)/took.Seconds())
	fmt.Printf("  end-to-end lag over %d samples: median %.2fs, p95 %.2fs, max %.2fs\n",
		len(lags), lags[len(lags)/2], lags[len(lags)*95/100], lags[len(lags)-1])
	return nil
}

// writeLoad writes rate row changes a second for d, in ten steps a second.
func writeLoad(ctx context.Context, db *sql.DB, rate int, d time.Duration) (int64, error) {
	step := rate / 10
	ins, upd := step*8/10, step-step*8/10
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	end := time.Now().Add(d)
	var next, written int64
	for n := 0; time.Now().Before(end); n++ {
		<-tick.C
		var b strings.Builder
		b.WriteString("INSERT INTO cdc_orders (created, amount, name, note, qty, score, updated, flag, ref, status) VALUES ")
		for i := range ins {
			k := next + int64(i)
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(NOW(6), %d.%02d, 'customer-%d', %s, %d, %d.5, NULL, %d, %d, 'new')",
				k%10000, k%100, k%7777, noteOf(k), k%50, k%1000, k%2, k*31)
		}
		if _, err := db.ExecContext(ctx, b.String()); err != nil {
			return 0, err
		}
		next += int64(ins)
		written += int64(ins)
		if upd > 0 && next > int64(upd) {
			lo := (int64(n) * int64(upd)) % (next - int64(upd))
			res, err := db.ExecContext(ctx, "UPDATE cdc_orders SET status = 'paid', updated = NOW(6), qty = qty + 1 WHERE id > ? AND id <= ?", lo, lo+int64(upd))
			if err != nil {
				return 0, err
			}
			n, _ := res.RowsAffected()
			written += n
		}
	}
	return written, nil
}

func noteOf(k int64) string {
	if k%5 == 0 {
		return "NULL"
	}
	return fmt.Sprintf("'note %d %s'", k, strings.Repeat("x", int(k%30)))
}

func status(c *integration.CDC) *integration.CDCStatus {
	for _, st := range c.List("bench") {
		return st
	}
	return nil
}

func waitState(c *integration.CDC, state string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		st := status(c)
		if st != nil && st.State == state {
			return nil
		}
		if st != nil && st.Error != "" {
			return fmt.Errorf("cdc: %s", st.Error)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("cdc did not reach %s in %s", state, limit)
}
