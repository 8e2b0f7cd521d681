package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// undoTimeout bounds the clean-up of a failed run where DDL commits
// implicitly; it runs even when the run's own context was cancelled.
const undoTimeout = 30 * time.Second

// RunModel implements Engine. Where DDL is transactional the whole run is
// one transaction. Elsewhere (MySQL) DDL runs on its own on a pinned
// connection, the rows are written in transactions or into a fresh copy
// swapped in by rename, and a failed run drops what it created.
func (e *SQLEngine) RunModel(ctx context.Context, m *Model) (*ModelResult, error) {
	if err := checkModel(m); err != nil {
		return nil, err
	}
	var r *modelRun
	newRun := func() {
		r = &modelRun{
			e:      e,
			d:      e.d,
			m:      m,
			query:  trimStatement(m.Select),
			target: QuoteTable(e.d, m.Target),
			suffix: fmt.Sprintf("%08x", rand.Uint32()),
		}
	}
	var err error
	if e.d.TransactionalDDL() {
		// One transaction, retried whole when it lost a conflict (conflict.go).
		err = e.retryConflicts(ctx, func() bool { return e.modelChangesCatalog(ctx, m) },
			func() error { newRun(); return r.runInTx(ctx) })
	} else {
		newRun()
		err = r.runOnConn(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("run model %s (%s): %w", m.Target, m.Mode, err)
	}
	return &r.res, nil
}

func checkModel(m *Model) error {
	if m == nil {
		return errors.New("run model: no model given")
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("run model %s (%s): %s", m.Target, m.Mode, fmt.Sprintf(format, args...))
	}
	switch {
	case trimStatement(m.Select) == "":
		return bad("the SELECT is empty")
	case m.Target.Name == "":
		return bad("no target table")
	case !m.Mode.Valid():
		return bad("unknown write mode %q", m.Mode)
	case m.Mode == meta.WriteOverwritePartition && (m.Partition == "" || m.Value == ""):
		return bad("overwrite_partition needs a partition column and a value")
	case m.Mode == meta.WriteAppend && m.Value == "":
		return bad("append needs a period value")
	case m.Mode == meta.WriteMerge && len(m.UniqueKey) == 0:
		return bad("merge needs a unique key")
	}
	return nil
}

// modelRun is the state of one RunModel call.
type modelRun struct {
	e      *SQLEngine
	d      Dialect
	m      *Model
	query  string // the model's SELECT, without trailing semicolons
	target string // quoted target name
	suffix string // makes this run's helper tables' names unique

	cols      []string // the query's columns, in order
	partition string   // the partition column as the query spells it
	keys      []string // the merge key as the query spells it

	// base runs the run's statements: the transaction where DDL is
	// transactional, else the pinned connection (autocommit).
	base querier
	// conn is the pinned connection where DDL commits implicitly, else nil.
	conn *sql.Conn
	// undo reverses, newest last, the DDL committed so far where DDL
	// commits implicitly.
	undo []string

	stage     TableRef // the temporary table of staged rows, if any
	stageDrop string

	res ModelResult
}

func (r *modelRun) runInTx(ctx context.Context) error {
	tx, err := r.e.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	r.base = tx
	if err := r.write(ctx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// runOnConn pins one connection because temporary tables and the undo of a
// failed run must see the same session.
func (r *modelRun) runOnConn(ctx context.Context) error {
	conn, err := r.e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	r.base, r.conn = conn, conn
	if err := r.write(ctx); err != nil {
		return errors.Join(err, r.undoDDL(ctx))
	}
	return nil
}

// undoDDL runs the undo statements newest first. It falls back to the pool
// because a cancelled query can leave the pinned connection closed (the
// MySQL driver drops it); its temporary tables are gone with it then.
func (r *modelRun) undoDDL(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	var errs []error
	for i := len(r.undo) - 1; i >= 0; i-- {
		stmt := r.undo[i]
		if _, err := r.conn.ExecContext(ctx, stmt); err == nil {
			continue
		}
		if _, err := r.e.db.ExecContext(ctx, stmt); err != nil {
			errs = append(errs, fmt.Errorf("undo %s: %w", summarize(stmt), err))
		}
	}
	return errors.Join(errs...)
}

func (r *modelRun) write(ctx context.Context) error {
	if err := r.prepare(ctx); err != nil {
		return err
	}
	switch r.m.Mode {
	case meta.WriteOverwrite:
		return r.overwrite(ctx)
	case meta.WriteOverwritePartition:
		return r.overwritePartition(ctx)
	case meta.WriteAppend:
		return r.appendPeriod(ctx)
	case meta.WriteMerge:
		return r.merge(ctx)
	}
	return fmt.Errorf("unknown write mode %q", r.m.Mode)
}

// prepare learns the query's columns, then makes sure the target exists
// with the columns the mode needs.
func (r *modelRun) prepare(ctx context.Context) error {
	if err := r.probe(ctx); err != nil {
		return err
	}
	t, err := describe(ctx, r.base, r.d, r.m.Target)
	if errors.Is(err, ErrTableNotFound) {
		return r.create(ctx)
	}
	if err != nil {
		return fmt.Errorf("look up the target: %w", err)
	}
	if r.m.Mode == meta.WriteAppend && !hasColumn(t.Columns, AppendPeriodColumn) {
		return r.addPeriodColumn(ctx)
	}
	return nil
}

// probe reads the query's column names without running it for rows.
func (r *modelRun) probe(ctx context.Context) error {
	rows, err := r.base.QueryContext(ctx, r.selectAll()+" LIMIT 0")
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	cols, err := rows.Columns()
	_ = rows.Close()
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	r.cols = cols
	return r.resolveColumns()
}

// resolveColumns checks that the query has the columns the mode names and
// none that would clash.
func (r *modelRun) resolveColumns() error {
	seen := map[string]bool{}
	for _, c := range r.cols {
		if seen[strings.ToLower(c)] {
			return fmt.Errorf("the query returns column %q twice; give each column its own name", c)
		}
		seen[strings.ToLower(c)] = true
	}
	find := func(name, role string) (string, error) {
		for _, c := range r.cols {
			if strings.EqualFold(c, name) {
				return c, nil
			}
		}
		return "", fmt.Errorf("the query has no column %q (the %s)", name, role)
	}
	var err error
	switch r.m.Mode {
	case meta.WriteOverwritePartition:
		r.partition, err = find(r.m.Partition, "partition column")
	case meta.WriteAppend:
		if seen[AppendPeriodColumn] {
			err = fmt.Errorf("the query returns %s, which append mode fills itself", AppendPeriodColumn)
		}
	case meta.WriteMerge:
		for _, k := range r.m.UniqueKey {
			c, e := find(k, "unique key")
			if e != nil {
				return e
			}
			r.keys = append(r.keys, c)
		}
	}
	return err
}

func hasColumn(cols []Column, name string) bool {
	for _, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

// create makes the target from the query's columns and types, empty.
func (r *modelRun) create(ctx context.Context) error {
	if s := r.m.Target.Schema; s != "" {
		// Only when the target is missing: a user may lack the right to
		// create schemas but write tables in one that exists.
		if err := r.ddl(ctx, "CREATE SCHEMA IF NOT EXISTS "+r.d.QuoteIdent(s), ""); err != nil {
			return err
		}
	}
	stmt := fmt.Sprintf("CREATE TABLE %s AS %s LIMIT 0", r.target, r.selectAll())
	if err := r.ddl(ctx, stmt, "DROP TABLE IF EXISTS "+r.target); err != nil {
		return err
	}
	r.res.Created = true
	if r.m.Mode == meta.WriteAppend {
		return r.addPeriodColumn(ctx)
	}
	return nil
}

func (r *modelRun) addPeriodColumn(ctx context.Context) error {
	col := r.d.QuoteIdent(AppendPeriodColumn)
	undo := ""
	if !r.res.Created {
		undo = fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", r.target, col)
	}
	stmt := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", r.target, col, r.d.PeriodColumnType())
	return r.ddl(ctx, stmt, undo)
}

// overwrite replaces every row of the target.
func (r *modelRun) overwrite(ctx context.Context) error {
	if sw, ok := r.d.(Swapper); ok {
		return r.swap(ctx, sw)
	}
	return r.inTx(ctx, func(q querier) error {
		from := r.subquery()
		if !r.res.Created {
			// The query may read the target itself (a zipper table rebuilt
			// from its last state), so its rows are staged before the old
			// ones are deleted.
			var err error
			if from, err = r.stageRows(ctx, q); err != nil {
				return err
			}
			if _, err := r.exec(ctx, q, "DELETE FROM "+r.target); err != nil {
				return err
			}
		}
		if err := r.insert(ctx, q, r.target, from, "", ""); err != nil {
			return err
		}
		return r.dropStage(ctx, q)
	})
}

// swap fills a fresh copy of the target and renames it into place.
func (r *modelRun) swap(ctx context.Context, sw Swapper) error {
	fresh, old := r.sibling("new"), r.sibling("old")
	freshQ, oldQ := QuoteTable(r.d, fresh), QuoteTable(r.d, old)
	if err := r.ddl(ctx, sw.CreateLikeSQL(fresh, r.m.Target), "DROP TABLE IF EXISTS "+freshQ); err != nil {
		return err
	}
	if err := r.insert(ctx, r.base, freshQ, r.subquery(), "", ""); err != nil {
		return err
	}
	if _, err := r.exec(ctx, r.base, sw.SwapSQL(r.m.Target, fresh, old)); err != nil {
		return err
	}
	r.undo = nil // the new rows are in place: nothing may be undone now
	if _, err := r.exec(ctx, r.base, "DROP TABLE "+oldQ); err != nil {
		// The target is already right; a leftover copy is not worth
		// failing the run for, but the instance log should say so.
		r.res.Statements = append(r.res.Statements, "-- "+err.Error())
	}
	return nil
}

// sibling names a helper table beside the target, short enough for every
// engine's identifier limit (63 bytes in Postgres).
func (r *modelRun) sibling(tag string) TableRef {
	name := r.m.Target.Name
	if len(name) > 40 {
		name = strings.ToValidUTF8(name[:40], "")
	}
	return TableRef{Schema: r.m.Target.Schema, Name: name + "__kiln_" + tag + "_" + r.suffix}
}

// overwritePartition replaces the rows whose partition column equals the
// run's value, and refuses rows of any other partition.
func (r *modelRun) overwritePartition(ctx context.Context) error {
	value := r.d.QuoteString(r.m.Value)
	where := fmt.Sprintf(" WHERE %s = %s", r.d.QuoteIdent(r.partition), value)
	return r.inTx(ctx, func(q querier) error {
		if _, err := r.exec(ctx, q, "DELETE FROM "+r.target+where); err != nil {
			return err
		}
		if err := r.insert(ctx, q, r.target, r.subquery(), "", ""); err != nil {
			return err
		}
		// The partition was emptied first, so every inserted row of it is
		// counted here; the rest carried another value or NULL.
		var kept int64
		if err := r.queryRow(ctx, q, "SELECT count(*) FROM "+r.target+where, &kept); err != nil {
			return err
		}
		if stray := r.res.RowsWritten - kept; stray > 0 {
			return fmt.Errorf("%w: the query returned %d row(s) whose %s is not %s (or is NULL); "+
				"an overwrite_partition run may only write its own partition",
				ErrPartitionMismatch, stray, r.partition, value)
		}
		return nil
	})
}

// appendPeriod adds the query's rows tagged with the period, replacing the
// rows an earlier run of the same period added.
func (r *modelRun) appendPeriod(ctx context.Context) error {
	col, value := r.d.QuoteIdent(AppendPeriodColumn), r.d.QuoteString(r.m.Value)
	return r.inTx(ctx, func(q querier) error {
		stmt := fmt.Sprintf("DELETE FROM %s WHERE %s = %s", r.target, col, value)
		if _, err := r.exec(ctx, q, stmt); err != nil {
			return err
		}
		return r.insert(ctx, q, r.target, r.subquery(), col, value)
	})
}

// merge stages the query's rows once, then replaces the target rows that
// share their key.
func (r *modelRun) merge(ctx context.Context) error {
	return r.inTx(ctx, func(q querier) error {
		stage, err := r.stageRows(ctx, q)
		if err != nil {
			return err
		}
		if err := r.checkKeys(ctx, q, stage); err != nil {
			return err
		}
		if _, err := r.exec(ctx, q, r.d.DeleteMatchingSQL(r.m.Target, r.stage, r.keys)); err != nil {
			return err
		}
		if err := r.insert(ctx, q, r.target, stage, "", ""); err != nil {
			return err
		}
		return r.dropStage(ctx, q)
	})
}

// checkKeys refuses staged rows that share a key or lack part of one:
// either would make a rerun write different rows than the first run.
func (r *modelRun) checkKeys(ctx context.Context, q querier, stage string) error {
	quoted := make([]string, len(r.keys))
	nulls := make([]string, len(r.keys))
	for i, k := range r.keys {
		quoted[i] = r.d.QuoteIdent(k)
		nulls[i] = quoted[i] + " IS NULL"
	}
	keys := strings.Join(quoted, ", ")
	stmt := fmt.Sprintf("SELECT %s, count(*) FROM %s GROUP BY %s HAVING count(*) > 1 OR %s LIMIT 1",
		keys, stage, keys, strings.Join(nulls, " OR "))
	vals := make([]any, len(r.keys)+1)
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	err := r.queryRow(ctx, q, stmt, dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	names, key := strings.Join(r.keys, ", "), formatKey(vals[:len(r.keys)])
	for _, v := range vals[:len(r.keys)] {
		if v == nil {
			return fmt.Errorf("merge key (%s) is NULL in a row of the query result: (%s); key columns must not be NULL", names, key)
		}
	}
	return fmt.Errorf("%w: merge key (%s) = (%s) appears %s times in the query result; make the key unique",
		ErrDuplicateKey, names, key, formatValue(vals[len(r.keys)]))
}

func formatKey(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = formatValue(v)
	}
	return strings.Join(parts, ", ")
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	case time.Time:
		if x.Equal(x.Truncate(24 * time.Hour)) {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// stageRows copies the query's rows into a temporary table and returns its
// quoted name.
func (r *modelRun) stageRows(ctx context.Context, q querier) (string, error) {
	ref, create, drop := r.d.StageSQL(r.m.Target, "_kiln_stage_"+r.suffix, r.selectAll())
	if _, err := r.exec(ctx, q, create); err != nil {
		return "", err
	}
	if r.conn != nil {
		// Temporary tables outlive a rollback here and the connection
		// goes back to the pool.
		r.undo = append(r.undo, drop)
	}
	r.stage, r.stageDrop = ref, drop
	return QuoteTable(r.d, ref), nil
}

func (r *modelRun) dropStage(ctx context.Context, q querier) error {
	if r.stageDrop == "" {
		return nil
	}
	_, err := r.exec(ctx, q, r.stageDrop)
	return err
}

// insert copies the query's columns, by name, from `from` into `into`;
// extraCol, when set, is filled with extraVal.
func (r *modelRun) insert(ctx context.Context, q querier, into, from, extraCol, extraVal string) error {
	quoted := make([]string, len(r.cols))
	for i, c := range r.cols {
		quoted[i] = r.d.QuoteIdent(c)
	}
	cols := strings.Join(quoted, ", ")
	target, source := cols, cols
	if extraCol != "" {
		target += ", " + extraCol
		source += ", " + extraVal
	}
	n, err := r.exec(ctx, q, fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", into, target, source, from))
	if err != nil {
		return err
	}
	r.res.RowsWritten = n
	return nil
}

// selectAll wraps the model's query as a derived table; the line breaks
// keep a trailing "-- comment" in the query from swallowing the ")".
func (r *modelRun) selectAll() string { return "SELECT * FROM " + r.subquery() }

func (r *modelRun) subquery() string { return "(\n" + r.query + "\n) AS _kiln_src" }

// inTx runs fn in a transaction: the run's own where DDL is transactional,
// a new one on the pinned connection otherwise.
func (r *modelRun) inTx(ctx context.Context, fn func(q querier) error) error {
	if r.conn == nil {
		return fn(r.base)
	}
	tx, err := r.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// ddl runs a statement that changes the schema; undo, when set, reverses
// it should the run fail where DDL cannot be rolled back.
func (r *modelRun) ddl(ctx context.Context, stmt, undo string) error {
	if _, err := r.exec(ctx, r.base, stmt); err != nil {
		return err
	}
	if undo != "" && r.conn != nil {
		r.undo = append(r.undo, undo)
	}
	return nil
}

// exec runs and records one statement and returns the rows it affected.
func (r *modelRun) exec(ctx context.Context, q querier, stmt string) (int64, error) {
	r.res.Statements = append(r.res.Statements, stmt)
	res, err := q.ExecContext(ctx, stmt)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", summarize(stmt), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, nil
	}
	return n, nil
}

// queryRow runs and records a check that reads one row.
func (r *modelRun) queryRow(ctx context.Context, q querier, stmt string, dest ...any) error {
	r.res.Statements = append(r.res.Statements, stmt)
	err := q.QueryRowContext(ctx, stmt).Scan(dest...)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", summarize(stmt), err)
	}
	return err
}
