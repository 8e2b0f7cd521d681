package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Dialect is what SQLEngine needs to know about one SQL dialect. Each
// adapter package implements it with its own SQL, so no SQL is forced to be
// portable; SQLEngine keeps the algorithms all dialects share (streaming,
// transactions, the steps of each write mode).
type Dialect interface {
	// Name is the value Engine.Dialect returns.
	Name() string
	// QuoteIdent quotes one identifier: a schema, table or column name.
	QuoteIdent(name string) string
	// QuoteString renders s as a string literal.
	QuoteString(s string) string
	// TransactionalDDL reports whether CREATE, ALTER and DROP run inside a
	// transaction and roll back with it. Where they do not, SQLEngine runs
	// DDL on its own and undoes it by hand when a model run fails.
	TransactionalDDL() bool

	// DescribeTableSQL returns a query and its arguments yielding one row
	// (schema, name, kind, comment) for the table or view t, or no row when
	// it does not exist. kind is "table" or "view"; an empty t.Schema means
	// the connection's current schema.
	DescribeTableSQL(t TableRef) (string, []any)
	// DescribeColumnsSQL returns a query yielding (name, type, nullable,
	// comment) for each column of t, in column order.
	DescribeColumnsSQL(t TableRef) (string, []any)
	// ListTablesSQL returns a query yielding (schema, name) for the tables
	// and views of schema, or of every user schema when schema is "".
	ListTablesSQL(schema string) (string, []any)
	// ExplainSQL returns the statement that explains stmt. tabular says the
	// plan comes back as a table with a header (MySQL); otherwise each row's
	// last column is a piece of plan text.
	ExplainSQL(stmt string) (query string, tabular bool)

	// PeriodColumnType is the type of AppendPeriodColumn in append targets.
	PeriodColumnType() string
	// StageSQL returns the statements that create and drop a temporary table
	// named name holding the rows of selectSQL, for a run writing target.
	StageSQL(target TableRef, name, selectSQL string) (stage TableRef, create, drop string)
	// DeleteMatchingSQL deletes the rows of target whose keys equal a row of
	// stage; merge runs it before inserting the staged rows.
	DeleteMatchingSQL(target, stage TableRef, keys []string) string
}

// Swapper is implemented by dialects whose DDL commits implicitly (MySQL).
// An overwrite then builds a fresh copy of the target beside it and swaps
// it in with one atomic rename, so readers never see a half-written table
// and a failure leaves the target untouched.
type Swapper interface {
	// CreateLikeSQL creates dst empty, with the definition of src.
	CreateLikeSQL(dst, src TableRef) string
	// SwapSQL renames target to old and fresh to target in one atomic step.
	SwapSQL(target, fresh, old TableRef) string
}

// ValueConverter is implemented by dialects whose driver returns values of
// its own types (DuckDB's Decimal, UUID); Rows hands out plain Go values.
type ValueConverter interface {
	ConvertValue(v any) any
}

// SQLEngine implements Engine over a database/sql pool for one Dialect.
// The adapter packages (duckdb, postgres, mysql) open the pool and embed it.
type SQLEngine struct {
	name string
	db   *sql.DB
	d    Dialect
}

var _ Engine = (*SQLEngine)(nil)

// NewSQLEngine returns an engine named name over db. It takes ownership of
// db: Close closes it.
func NewSQLEngine(name string, db *sql.DB, d Dialect) *SQLEngine {
	return &SQLEngine{name: name, db: db, d: d}
}

// QuoteTable renders t as a quoted, schema-qualified name in dialect d.
func QuoteTable(d Dialect, t TableRef) string {
	if t.Schema == "" {
		return d.QuoteIdent(t.Name)
	}
	return d.QuoteIdent(t.Schema) + "." + d.QuoteIdent(t.Name)
}

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common, so the
// same steps run on a pool, a pinned connection or inside a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Name implements Engine.
func (e *SQLEngine) Name() string { return e.name }

// Dialect implements Engine.
func (e *SQLEngine) Dialect() string { return e.d.Name() }

// DB returns the underlying pool, for callers that need database/sql itself
// (bulk loads through a driver's own API).
func (e *SQLEngine) DB() *sql.DB { return e.db }

// TransactionalDDL reports whether DDL rolls back with a transaction here,
// so callers (and the conformance suite) know what RunScript can undo.
func (e *SQLEngine) TransactionalDDL() bool { return e.d.TransactionalDDL() }

// Ping checks that the engine can be reached.
func (e *SQLEngine) Ping(ctx context.Context) error { return e.db.PingContext(ctx) }

// Close implements Engine.
func (e *SQLEngine) Close() error { return e.db.Close() }

// Exec implements Engine.
func (e *SQLEngine) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := e.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return -1, nil
	}
	return n, nil
}

// Query implements Engine.
func (e *SQLEngine) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	if k, ok := e.d.(QueryKiller); ok && ctx.Done() != nil {
		return e.queryKillable(ctx, k, query, args)
	}
	rows, err := e.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	r, err := newSQLRows(rows, e.d)
	if err != nil {
		_ = rows.Close()
		return nil, err
	}
	return r, nil
}

// Describe implements Engine.
func (e *SQLEngine) Describe(ctx context.Context, ref TableRef) (*Table, error) {
	t, err := describe(ctx, e.db, e.d, ref)
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", ref, err)
	}
	return t, nil
}

// describe reads a table's definition through q, which may be a
// transaction that has just created the table.
func describe(ctx context.Context, q querier, d Dialect, ref TableRef) (*Table, error) {
	query, args := d.DescribeTableSQL(ref)
	t := &Table{}
	var comment sql.NullString
	err := q.QueryRowContext(ctx, query, args...).Scan(&t.Ref.Schema, &t.Ref.Name, &t.Kind, &comment)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrTableNotFound
	}
	if err != nil {
		return nil, err
	}
	t.Comment = comment.String
	if t.Columns, err = describeColumns(ctx, q, d, ref); err != nil {
		return nil, err
	}
	return t, nil
}

func describeColumns(ctx context.Context, q querier, d Dialect, ref TableRef) ([]Column, error) {
	query, args := d.DescribeColumnsSQL(ref)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var c Column
		var comment sql.NullString
		if err := rows.Scan(&c.Name, &c.Type, &c.Nullable, &comment); err != nil {
			return nil, err
		}
		c.Comment = comment.String
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// ListTables implements Engine.
func (e *SQLEngine) ListTables(ctx context.Context, schema string) ([]TableRef, error) {
	query, args := e.d.ListTablesSQL(schema)
	rows, err := e.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var refs []TableRef
	for rows.Next() {
		var r TableRef
		if err := rows.Scan(&r.Schema, &r.Name); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		refs = append(refs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return refs, nil
}

// Explain implements Engine. The engine's own error is returned unwrapped
// so that a syntax error reads exactly as the engine wrote it.
func (e *SQLEngine) Explain(ctx context.Context, stmt string) (string, error) {
	query, tabular := e.d.ExplainSQL(trimStatement(stmt))
	rows, err := e.db.QueryContext(ctx, query)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	var b strings.Builder
	if tabular {
		b.WriteString(strings.Join(cols, "\t"))
		b.WriteByte('\n')
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return "", err
		}
		if !tabular {
			b.WriteString(vals[len(vals)-1].String)
			b.WriteByte('\n')
			continue
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(orNULL(v))
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

func orNULL(v sql.NullString) string {
	if !v.Valid {
		return "NULL"
	}
	return v.String
}

// RunScript implements Engine. Where DDL commits implicitly (MySQL), the
// statements up to the last DDL that ran stay even when a later one fails.
func (e *SQLEngine) RunScript(ctx context.Context, statements []string) (res *ScriptResult, err error) {
	// The script is one transaction, retried whole when it lost a conflict.
	err = e.retryConflicts(ctx, func() bool { return scriptChangesCatalog(statements) }, func() error {
		res, err = e.runScript(ctx, statements)
		return err
	})
	return res, err
}

func (e *SQLEngine) runScript(ctx context.Context, statements []string) (*ScriptResult, error) {
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("run script: %w", err)
	}
	res := &ScriptResult{}
	for i, stmt := range statements {
		stmt = trimStatement(stmt)
		if stmt == "" {
			continue
		}
		r, err := tx.ExecContext(ctx, stmt)
		if err != nil {
			_ = tx.Rollback()
			return nil, fmt.Errorf("run script: statement %d (%s): %w", i+1, summarize(stmt), err)
		}
		res.Statements++
		if n, err := r.RowsAffected(); err == nil && n > 0 {
			res.RowsAffected += n
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("run script: commit: %w", err)
	}
	return res, nil
}

// trimStatement drops surrounding space and trailing semicolons, so that a
// statement can be wrapped in a subquery or sent to a driver that refuses
// several statements.
func trimStatement(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasSuffix(s, ";") {
		s = strings.TrimSpace(strings.TrimSuffix(s, ";"))
	}
	return s
}

// summarize shortens a statement to its first line for error messages, so
// a failing INSERT ... SELECT does not repeat a page of SQL.
func summarize(stmt string) string {
	const max = 80
	line, _, cut := strings.Cut(stmt, "\n")
	if r := []rune(line); len(r) > max {
		line, cut = string(r[:max]), true
	}
	if cut {
		line += " …"
	}
	return line
}
