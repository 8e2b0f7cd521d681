package engine

import (
	"database/sql"
	"strings"
)

// sqlRows streams a *sql.Rows as Rows. It holds one row at a time: the
// values slice is reused by every Next, so a result of any size is read in
// constant memory.
type sqlRows struct {
	rows   *sql.Rows
	cols   []Column
	binary []bool // keep []byte as is; other []byte columns become strings
	conv   ValueConverter
	vals   []any
	dest   []any
	err    error
}

func newSQLRows(rows *sql.Rows, d Dialect) (*sqlRows, error) {
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	r := &sqlRows{
		rows:   rows,
		cols:   make([]Column, len(types)),
		binary: make([]bool, len(types)),
		vals:   make([]any, len(types)),
		dest:   make([]any, len(types)),
	}
	r.conv, _ = d.(ValueConverter)
	for i, ct := range types {
		nullable, ok := ct.Nullable()
		r.cols[i] = Column{Name: ct.Name(), Type: ct.DatabaseTypeName(), Nullable: nullable || !ok}
		r.binary[i] = isBinaryType(ct.DatabaseTypeName())
		r.dest[i] = &r.vals[i]
	}
	return r, nil
}

// isBinaryType reports whether a column holds bytes rather than text.
// Drivers return both as []byte (MySQL sends VARCHAR and DECIMAL that way).
func isBinaryType(name string) bool {
	n := strings.ToUpper(name)
	return strings.Contains(n, "BLOB") || strings.Contains(n, "BINARY") ||
		n == "BYTEA" || n == "BIT" || n == "GEOMETRY"
}

func (r *sqlRows) Columns() []Column { return r.cols }

func (r *sqlRows) Next() bool {
	if r.err != nil {
		return false
	}
	return r.rows.Next()
}

func (r *sqlRows) Values() ([]any, error) {
	if err := r.rows.Scan(r.dest...); err != nil {
		r.err = err
		return nil, err
	}
	for i, v := range r.vals {
		r.vals[i] = r.normalize(i, v)
	}
	return r.vals, nil
}

// normalize maps driver values onto a few plain Go types (int64, float64,
// string, bool, time.Time, []byte), so that consumers such as CSV writers
// and sync jobs see the same types whatever the engine.
func (r *sqlRows) normalize(i int, v any) any {
	switch x := v.(type) {
	case nil, int64, float64, string, bool:
		return v
	case []byte:
		if r.binary[i] {
			return x
		}
		return string(x)
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	}
	if r.conv != nil {
		return r.conv.ConvertValue(v)
	}
	return v
}

func (r *sqlRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

func (r *sqlRows) Close() error { return r.rows.Close() }
