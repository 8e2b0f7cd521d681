package integration

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// metaSchema holds the warehouse's sync bookkeeping: state (checkpoints,
// watermarks, CDC positions) written in the same transaction as the rows
// it covers, dirty records, and schema changes.
const metaSchema = "_kiln_sync"

var metaDDL = []string{
	`CREATE SCHEMA IF NOT EXISTS ` + metaSchema,
	`CREATE TABLE IF NOT EXISTS ` + metaSchema + `.state (sync_key VARCHAR, state VARCHAR, updated_at TIMESTAMPTZ)`,
	`CREATE TABLE IF NOT EXISTS ` + metaSchema + `.dirty_records (sync_key VARCHAR, instance_id BIGINT, source_table VARCHAR, reason VARCHAR, record VARCHAR, recorded_at TIMESTAMPTZ)`,
	`CREATE TABLE IF NOT EXISTS ` + metaSchema + `.schema_changes (sync_key VARCHAR, instance_id BIGINT, target_table VARCHAR, column_name VARCHAR, change VARCHAR, old_type VARCHAR, new_type VARCHAR, changed_at TIMESTAMPTZ)`,
}

// warehouse is a DuckDB target, written through one pinned connection so
// that the appender and the transactions around it share it.
type warehouse struct {
	db   *sql.DB
	conn *sql.Conn
	// broken says a transaction on conn failed. DuckDB can finish a BEGIN
	// or COMMIT whose context was cancelled and still report the error, so
	// the connection may be inside a transaction; Close then discards it
	// instead of handing it to the pool's next user.
	broken bool
}

func openWarehouse(ctx context.Context, db *sql.DB) (*warehouse, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("target: connect: %w", err)
	}
	w := &warehouse{db: db, conn: conn}
	for _, s := range metaDDL {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			conn.Close()
			return nil, fmt.Errorf("target: %w", err)
		}
	}
	return w, nil
}

// Close gives the pinned connection back to the pool, or closes it when a
// failed transaction may have left it inside one.
func (w *warehouse) Close() error {
	if w.broken {
		_ = w.conn.Raw(func(any) error { return driver.ErrBadConn })
		return nil
	}
	return w.conn.Close()
}

func qi(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func qs(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func qt(schema, table string) string {
	if schema == "" {
		return qi(table)
	}
	return qi(schema) + "." + qi(table)
}

// tgtColumn is one column of a target table.
type tgtColumn struct {
	Name     string
	Type     string // DuckDB type
	Comment  string
	Nullable bool
}

// describe returns a target table's columns; nil when it does not exist.
func (w *warehouse) describe(ctx context.Context, schema, table string) ([]tgtColumn, error) {
	rows, err := w.conn.QueryContext(ctx, `SELECT column_name, data_type, COALESCE(comment, ''), is_nullable
FROM duckdb_columns() WHERE database_name = current_database()
  AND schema_name = COALESCE(NULLIF(?, ''), current_schema()) AND table_name = ?
ORDER BY column_index`, schema, table)
	if err != nil {
		return nil, fmt.Errorf("target: describe %s: %w", qt(schema, table), err)
	}
	defer rows.Close()
	var out []tgtColumn
	for rows.Next() {
		var c tgtColumn
		if err := rows.Scan(&c.Name, &c.Type, &c.Comment, &c.Nullable); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// plain says a table has no constraints and no indexes.
func (w *warehouse) plain(ctx context.Context, schema, table string) (bool, error) {
	var n int
	err := w.conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM duckdb_constraints() c
    WHERE c.database_name = current_database() AND c.schema_name = COALESCE(NULLIF(?, ''), current_schema()) AND c.table_name = ?)
  + (SELECT count(*) FROM duckdb_indexes() i
    WHERE i.database_name = current_database() AND i.schema_name = COALESCE(NULLIF(?, ''), current_schema()) AND i.table_name = ?)`,
		schema, table, schema, table).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("target: describe %s: %w", qt(schema, table), err)
	}
	return n == 0, nil
}

// syncState is what a sync remembers between runs and chunks.
type syncState struct {
	// Instance is the run that owns an unfinished load; a later attempt of
	// the same instance (or a rerun) resumes it.
	Instance int64 `json:"instance,omitempty"`
	// Columns is the staged column list; a changed list restarts the load.
	Columns string `json:"columns,omitempty"`
	// Shard is the shard being read and After the key of its last row
	// loaded, for a resume.
	Shard int   `json:"shard,omitempty"`
	After []any `json:"after,omitempty"`
	// Loading says a load is in progress.
	Loading bool `json:"loading,omitempty"`
	// Rows is how many rows the unfinished load has written.
	Rows int64 `json:"rows,omitempty"`
	// Watermark is the highest cursor value an incremental sync has
	// loaded; High is the one a load in progress reads up to.
	Watermark string `json:"watermark,omitempty"`
	High      string `json:"high,omitempty"`
	// CDC is the binlog position a CDC job has applied up to.
	CDC *cdcState `json:"cdc,omitempty"`
}

func (w *warehouse) loadState(ctx context.Context, key string) (*syncState, error) {
	var raw string
	err := w.conn.QueryRowContext(ctx, `SELECT state FROM `+metaSchema+`.state WHERE sync_key = ?`, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return &syncState{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("target: read sync state: %w", err)
	}
	st := &syncState{}
	if err := json.Unmarshal([]byte(raw), st); err != nil {
		return nil, fmt.Errorf("target: sync state of %s: %w", key, err)
	}
	return st, nil
}

// saveState writes the state; call it inside the transaction of the rows
// it covers.
func (w *warehouse) saveState(ctx context.Context, key string, st *syncState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if _, err := w.conn.ExecContext(ctx, `DELETE FROM `+metaSchema+`.state WHERE sync_key = ?`, key); err != nil {
		return err
	}
	_, err = w.conn.ExecContext(ctx, `INSERT INTO `+metaSchema+`.state VALUES (?, ?, ?)`, key, string(b), time.Now())
	return err
}

// tx runs f between BEGIN and COMMIT on the pinned connection, rolling
// back when f fails, so the appender's rows join the transaction.
func (w *warehouse) tx(ctx context.Context, f func() error) error {
	if err := w.begin(ctx); err != nil {
		return err
	}
	if err := f(); err != nil {
		w.abort(ctx)
		return err
	}
	if _, err := w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		w.abort(ctx)
		return err
	}
	return nil
}

// begin starts a transaction on the pinned connection; one that spans
// several calls ends with COMMIT, or abort when anything fails.
func (w *warehouse) begin(ctx context.Context) error {
	if _, err := w.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		w.abort(ctx) // a cancelled BEGIN may have begun
		return err
	}
	return nil
}

// abort rolls the transaction back, even when ctx was cancelled, and
// marks the connection broken: the rollback itself may be interrupted.
func (w *warehouse) abort(ctx context.Context) {
	w.broken = true
	_, _ = w.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
}

// exec runs statements in order.
func (w *warehouse) exec(ctx context.Context, stmts ...string) error {
	for _, s := range stmts {
		if _, err := w.conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("target: %s: %w", firstLine(s), err)
		}
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// createSQL is the CREATE TABLE of cols, with their comments.
func createSQL(schema, table string, cols []tgtColumn, replace bool) []string {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = qi(c.Name) + " " + c.Type
	}
	verb := "CREATE TABLE "
	if replace {
		verb = "CREATE OR REPLACE TABLE "
	}
	out := []string{verb + qt(schema, table) + " (" + strings.Join(defs, ", ") + ")"}
	for _, c := range cols {
		if c.Comment != "" {
			out = append(out, "COMMENT ON COLUMN "+qt(schema, table)+"."+qi(c.Name)+" IS "+qs(c.Comment))
		}
	}
	return out
}

// appender is a DuckDB appender on the pinned connection.
type appender struct {
	a *duckdb.Appender
}

func (w *warehouse) appender(schema, table string) (*appender, error) {
	var app *duckdb.Appender
	err := w.conn.Raw(func(dc any) error {
		c, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("target: not a DuckDB connection")
		}
		var err error
		app, err = duckdb.NewAppenderFromConn(c, schema, table)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("target: appender on %s: %w", qt(schema, table), err)
	}
	return &appender{a: app}, nil
}

// append adds rows; the caller flushes inside the transaction.
func (a *appender) append(rows [][]driver.Value) error {
	for _, r := range rows {
		if err := a.a.AppendRow(r...); err != nil {
			return err
		}
	}
	return nil
}

func (a *appender) flush() error { return a.a.Flush() }
func (a *appender) close() error { return a.a.Close() }

// writeDirty records dirty rows in the side table.
func (w *warehouse) writeDirty(ctx context.Context, key string, instance int64, src string, rows []dirtyRow) error {
	for _, d := range rows {
		if _, err := w.conn.ExecContext(ctx, `INSERT INTO `+metaSchema+`.dirty_records VALUES (?, ?, ?, ?, ?, ?)`,
			key, instance, src, d.reason, d.record, time.Now()); err != nil {
			return fmt.Errorf("target: record dirty row: %w", err)
		}
	}
	return nil
}
