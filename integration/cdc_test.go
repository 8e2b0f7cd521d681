package integration

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
)

const cdcTableDDL = `CREATE TABLE orders (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  customer VARCHAR(40) NOT NULL,
  amount DECIMAL(12,2),
  qty INT UNSIGNED,
  status ENUM('new','paid','shipped'),
  tags SET('a','b','c'),
  created DATETIME(3),
  seen TIMESTAMP NULL,
  note TEXT,
  ratio DOUBLE
)`

// cdcWrite inserts, updates and deletes rows of orders, n statements.
func cdcWrite(ctx context.Context, db *sql.DB, seed, n int) error {
	for i := 0; i < n; i++ {
		k := seed*100000 + i
		var q string
		switch i % 5 {
		case 0, 1:
			q = fmt.Sprintf(`INSERT INTO orders (customer, amount, qty, status, tags, created, seen, note, ratio)
VALUES ('c%d', %d.%02d, %d, 'new', 'a,c', NOW(3), NOW(), 'note %d', %d.25)`, k%97, k%1000, k%100, 4000000000-k, k, k%7)
		case 2:
			q = fmt.Sprintf(`UPDATE orders SET status = 'paid', amount = amount + 1, tags = 'b', seen = NULL WHERE id %% 7 = %d`, k%7)
		case 3:
			q = fmt.Sprintf(`DELETE FROM orders WHERE id %% 11 = %d LIMIT 2`, k%11)
		case 4:
			q = fmt.Sprintf(`UPDATE orders SET note = CONCAT(note, '!'), qty = qty - 1 WHERE id %% 13 = %d`, k%13)
		}
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// A CDC job snapshots a MariaDB table, follows inserts, updates, deletes
// and an added column from the binlog, and resumes from its saved position
// after a stop; source and target end equal.
func TestCDCInProcess(t *testing.T) {
	dsn, db := mariaDB(t)
	mustExec(t, db, cdcTableDDL)
	if err := cdcWrite(t.Context(), db, 1, 200); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.addMySQL("shop", dsn)
	bus := events.New()
	c := NewCDC(CDCConfig{BaseDir: e.dir}, nil, e.engs, bus, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c.ctx = t.Context()
	proj := &meta.Project{ID: 1, Name: "p", DefaultEngine: "warehouse"}
	spec := &meta.TaskSpec{Name: "orders_cdc", Type: meta.TaskSync, Sync: &meta.SyncSpec{Mode: meta.SyncCDC, ChunkRows: 50, BatchRows: 100,
		Source: meta.SyncSource{Engine: "shop", Table: "orders"}, Target: meta.SyncTarget{Table: "orders"}}}
	if _, err := c.launch(proj, spec, false); err != nil {
		t.Fatal(err)
	}
	if err := cdcWrite(t.Context(), db, 2, 300); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, c, db)
	compareTable(t, e, db, "mysql", "orders", "orders")

	// Stop, write, add a column, start again: it resumes and follows.
	j := c.jobs[jobKey(1, "orders_cdc")]
	j.stopping.Store(true)
	j.cancel()
	<-j.done
	if err := cdcWrite(t.Context(), db, 3, 100); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "ALTER TABLE orders ADD COLUMN region VARCHAR(10) COMMENT 'sales region'", "UPDATE orders SET region = 'north' WHERE id % 2 = 0")
	if err := cdcWrite(t.Context(), db, 4, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := c.launch(proj, spec, false); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, c, db)
	compareTable(t, e, db, "mysql", "orders", "orders")
	c.Stop()
}

// waitCaughtUp waits until the job has applied the source's binlog end.
func waitCaughtUp(t *testing.T, c *CDC, db *sql.DB) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		file, pos, _, err := masterPos(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		var st *CDCStatus
		for _, j := range c.jobs {
			st = j.status()
		}
		c.mu.Unlock()
		if st != nil && st.State == CDCStreaming && st.File == file && st.Pos >= pos {
			return
		}
		if st != nil && st.Error != "" {
			t.Logf("cdc error: %s", st.Error)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("cdc did not catch up in 60s")
}
