package integration

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/google/uuid"
)

// sqlSink is a MySQL/MariaDB (and so Doris/StarRocks) or Postgres target.
// Rows go in as batched multi-row INSERTs inside transactions; the sync's
// state lives in the sink's own _kiln_sync_state table, written in the
// transaction of the rows it covers, as in the warehouse.
type sqlSink struct {
	name, dialect string
	db            *sql.DB
	schema, table string
	types         []colType // target column types, in append order
	sqlTypes      []string  // the sink's column types
}

const (
	sinkStateTable = "_kiln_sync_state"
	sinkDirtyTable = "_kiln_sync_dirty"
)

func (s *sqlSink) quote(name string) string {
	if s.dialect == "mysql" {
		return "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func (s *sqlSink) qtable() string {
	if s.schema == "" {
		return s.quote(s.table)
	}
	return s.quote(s.schema) + "." + s.quote(s.table)
}

func (s *sqlSink) ph(n int) string {
	if s.dialect == "postgres" {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// sinkType is the reverse type mapping: a target column's DuckDB-side type
// as a MySQL or Postgres type. Key columns of text get a bounded VARCHAR in
// MySQL, which cannot index TEXT whole.
func sinkType(dialect string, t colType, key bool) (string, error) {
	my := dialect == "mysql"
	pick := func(m, p string) (string, error) {
		if my {
			return m, nil
		}
		return p, nil
	}
	switch t.kind {
	case kBool:
		return pick("TINYINT(1)", "boolean")
	case kInt:
		switch t.Duck {
		case "TINYINT":
			return pick("TINYINT", "smallint")
		case "SMALLINT":
			return pick("SMALLINT", "smallint")
		case "INTEGER":
			return pick("INT", "integer")
		}
		return pick("BIGINT", "bigint")
	case kUint, kDecimal:
		if my && t.width > 65 {
			return "", fmt.Errorf("DECIMAL(%d,%d) is wider than MySQL's 65 digits", t.width, t.scale)
		}
		return pick(fmt.Sprintf("DECIMAL(%d,%d)", t.width, t.scale), fmt.Sprintf("numeric(%d,%d)", t.width, t.scale))
	case kFloat:
		if t.Duck == "FLOAT" {
			return pick("FLOAT", "real")
		}
		return pick("DOUBLE", "double precision")
	case kString:
		if key {
			return pick("VARCHAR(255)", "text")
		}
		return pick("LONGTEXT", "text")
	case kBytes:
		if key {
			return pick("VARBINARY(255)", "bytea")
		}
		return pick("LONGBLOB", "bytea")
	case kDate:
		return pick("DATE", "date")
	case kTime:
		return pick("TIME(6)", "time")
	case kTimestamp:
		return pick("DATETIME(6)", "timestamp")
	case kTimestampTZ:
		// MySQL keeps the instant in UTC; its TIMESTAMP ends in 2038.
		return pick("DATETIME(6)", "timestamptz")
	case kInterval:
		return pick("VARCHAR(64)", "interval")
	case kUUID:
		return pick("CHAR(36)", "uuid")
	case kJSON, kList:
		return pick("JSON", "jsonb")
	case kBit:
		return pick("BIGINT UNSIGNED", "numeric(20,0)")
	}
	return "", fmt.Errorf("type %s has no %s equivalent", t.Duck, dialect)
}

// sinkValue turns a converted value into one the sink's driver binds.
func sinkValue(t *colType, v any) any {
	switch x := v.(type) {
	case int64:
		if t.kind == kDecimal || t.kind == kUint {
			return scaledText(x, t.scale)
		}
	case duckdb.Decimal:
		return decimalText(x)
	case json.RawMessage:
		return string(x)
	case *duckdb.UUID:
		return uuid.UUID(*x).String()
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d microseconds", x.Months, x.Days, x.Micros)
	case []any:
		b, _ := json.Marshal(x)
		return string(b)
	case time.Time:
		switch t.kind {
		case kTime:
			return x.Format("15:04:05.999999")
		case kTimestampTZ:
			return x.UTC()
		}
	}
	return v
}

// scaledText writes an unscaled decimal with its scale.
func scaledText(n int64, scale int) string {
	s := strconv.FormatInt(n, 10)
	if scale == 0 {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	if neg {
		return "-" + s
	}
	return s
}

// openSink plans a SQL sink for the plan's columns.
func openSink(name, dialect string, db *sql.DB, schema, table string, p *plan) (*sqlSink, error) {
	s := &sqlSink{name: name, dialect: dialect, db: db, schema: schema, table: table}
	for _, c := range p.cols {
		t, err := mapDuckDB(c.Type)
		if err != nil {
			return nil, fmt.Errorf("target %s: column %s: %w", name, c.Name, err)
		}
		st, err := sinkType(dialect, t, containsFold(p.keys, c.Name))
		if err != nil {
			return nil, fmt.Errorf("target %s: column %s: %w", name, c.Name, err)
		}
		s.types, s.sqlTypes = append(s.types, t), append(s.sqlTypes, st)
	}
	return s, nil
}

func containsFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

// columns lists the sink table's column names; nil when it does not exist.
func (s *sqlSink) columns(ctx context.Context) ([]string, error) {
	q := `SELECT column_name FROM information_schema.columns WHERE table_schema = COALESCE(NULLIF(?, ''), DATABASE()) AND table_name = ? ORDER BY ordinal_position`
	if s.dialect == "postgres" {
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = COALESCE(NULLIF($1, ''), current_schema()) AND table_name = $2 ORDER BY ordinal_position`
	}
	rows, err := s.db.QueryContext(ctx, q, s.schema, s.table)
	if err != nil {
		return nil, fmt.Errorf("target %s: describe %s: %w", s.name, s.qtable(), err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// prepare creates the table (and the bookkeeping tables) or adds the
// columns it lacks; it runs before any transaction of rows, since MySQL
// commits around DDL.
func (s *sqlSink) prepare(ctx context.Context, cols []tgtColumn, keys []string) ([]schemaChange, error) {
	stmts := []string{
		"CREATE TABLE IF NOT EXISTS " + s.quote(sinkStateTable) + " (sync_key VARCHAR(255) PRIMARY KEY, state TEXT NOT NULL)",
		"CREATE TABLE IF NOT EXISTS " + s.quote(sinkDirtyTable) + " (sync_key VARCHAR(255), instance_id BIGINT, source_table VARCHAR(255), reason TEXT, record TEXT)",
	}
	have, err := s.columns(ctx)
	if err != nil {
		return nil, err
	}
	var changes []schemaChange
	if have == nil {
		if s.schema != "" && s.dialect == "postgres" {
			stmts = append(stmts, "CREATE SCHEMA IF NOT EXISTS "+s.quote(s.schema))
		}
		defs := make([]string, len(cols))
		for i, c := range cols {
			defs[i] = s.quote(c.Name) + " " + s.sqlTypes[i]
		}
		if len(keys) > 0 {
			qk := make([]string, len(keys))
			for i, k := range keys {
				qk[i] = s.quote(k)
			}
			defs = append(defs, "PRIMARY KEY ("+strings.Join(qk, ", ")+")")
		}
		stmts = append(stmts, "CREATE TABLE "+s.qtable()+" ("+strings.Join(defs, ", ")+")")
	} else {
		for i, c := range cols {
			if !containsFold(have, c.Name) {
				stmts = append(stmts, "ALTER TABLE "+s.qtable()+" ADD COLUMN "+s.quote(c.Name)+" "+s.sqlTypes[i])
				changes = append(changes, schemaChange{Column: c.Name, Change: "add", NewType: s.sqlTypes[i]})
			}
		}
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("target %s: %s: %w", s.name, firstLine(q), err)
		}
	}
	return changes, nil
}

// loadState reads the sync's state from the sink.
func (s *sqlSink) loadState(ctx context.Context, key string) (*syncState, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, "SELECT state FROM "+s.quote(sinkStateTable)+" WHERE sync_key = "+s.ph(1), key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return &syncState{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("target %s: read sync state: %w", s.name, err)
	}
	st := &syncState{}
	if err := json.Unmarshal([]byte(raw), st); err != nil {
		return nil, fmt.Errorf("target %s: sync state of %s: %w", s.name, key, err)
	}
	return st, nil
}

func (s *sqlSink) saveState(ctx context.Context, tx *sql.Tx, key string, st *syncState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+s.quote(sinkStateTable)+" WHERE sync_key = "+s.ph(1), key); err != nil {
		return fmt.Errorf("target %s: save sync state: %w", s.name, err)
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO "+s.quote(sinkStateTable)+" VALUES ("+s.ph(1)+", "+s.ph(2)+")", key, string(b))
	return err
}

func (s *sqlSink) writeDirty(ctx context.Context, tx *sql.Tx, key string, instance int64, src string, rows []dirtyRow) error {
	for _, d := range rows {
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+s.quote(sinkDirtyTable)+" VALUES ("+s.ph(1)+", "+s.ph(2)+", "+s.ph(3)+", "+s.ph(4)+", "+s.ph(5)+")",
			key, instance, src, d.reason, d.record); err != nil {
			return fmt.Errorf("target %s: record dirty row: %w", s.name, err)
		}
	}
	return nil
}

// batchRows is how many rows one INSERT carries: under both servers'
// 65,535 bind parameters.
func (s *sqlSink) batchRows() int { return max(1, min(1000, 60000/max(1, len(s.types)))) }

// insert writes rows in multi-row INSERTs.
func (s *sqlSink) insert(ctx context.Context, tx *sql.Tx, names []string, rows [][]driver.Value) error {
	qn := make([]string, len(names))
	for i, n := range names {
		qn[i] = s.quote(n)
	}
	head := "INSERT INTO " + s.qtable() + " (" + strings.Join(qn, ", ") + ") VALUES "
	per := s.batchRows()
	args := make([]any, 0, per*len(names))
	for lo := 0; lo < len(rows); lo += per {
		part := rows[lo:min(lo+per, len(rows))]
		var b strings.Builder
		b.WriteString(head)
		args = args[:0]
		for i, r := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, v := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, sinkValue(&s.types[j], v))
				b.WriteString(s.ph(len(args)))
			}
			b.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("target %s: insert into %s: %w", s.name, s.qtable(), err)
		}
	}
	return nil
}

// deleteKeys deletes the rows whose key (at positions idx of each row)
// matches one of rows.
func (s *sqlSink) deleteKeys(ctx context.Context, tx *sql.Tx, keys []string, idx []int, rows [][]driver.Value) error {
	qk := make([]string, len(keys))
	for i, k := range keys {
		qk[i] = s.quote(k)
	}
	per := s.batchRows()
	for lo := 0; lo < len(rows); lo += per {
		part := rows[lo:min(lo+per, len(rows))]
		var b strings.Builder
		b.WriteString("DELETE FROM " + s.qtable() + " WHERE (" + strings.Join(qk, ", ") + ") IN (")
		var args []any
		for i, r := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, k := range idx {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, sinkValue(&s.types[k], r[k]))
				b.WriteString(s.ph(len(args)))
			}
			b.WriteByte(')')
		}
		b.WriteByte(')')
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("target %s: delete from %s: %w", s.name, s.qtable(), err)
		}
	}
	return nil
}
