package integration

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"time"
	"unsafe"
)

// The batch reader's hot path. A sync moves millions of values, so the
// per-value work is kept small: rows are read from the driver directly
// (database/sql's Scan into *any copies every []byte value), common values
// pass through without being converted or boxed again, strings are copied
// into a shared arena instead of one allocation each, and a batch's rows
// are cut from one slab.

// fastKind is the shortcut a column's values take when their Go type is
// the expected one; anything else goes through the column's converter.
type fastKind uint8

const (
	fastNone   fastKind = iota
	fastInt             // int64 as is
	fastFloat           // float64 as is
	fastString          // []byte copied into the arena; string as is
	fastTime            // a non-zero time.Time as is (UTC for wall-clock timestamps)
	fastDec64           // decimal text parsed straight to its unscaled int64
)

func fastKindOf(t colType) fastKind {
	switch t.kind {
	case kInt:
		return fastInt
	case kFloat:
		return fastFloat
	case kString:
		return fastString
	case kDate, kTimestamp, kTimestampTZ:
		return fastTime
	case kDecimal, kUint:
		if t.width <= maxDec64 {
			return fastDec64
		}
	}
	return fastNone
}

// arena holds the bytes of strings read from the source: one allocation per
// block instead of one per value. Blocks are never written twice, so a
// string stays valid for as long as anything references its block.
type arena struct{ buf []byte }

const arenaBlock = 256 << 10

func (a *arena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if a == nil {
		return string(b)
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, max(arenaBlock, len(b)))
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[start], len(b))
}

// rowSlab hands out rows cut from larger blocks.
type rowSlab struct {
	width int
	free  []driver.Value
}

const slabRows = 4096

func (s *rowSlab) next() []driver.Value {
	if len(s.free) < s.width {
		s.free = make([]driver.Value, s.width*slabRows)
	}
	row := s.free[:s.width:s.width]
	s.free = s.free[s.width:]
	return row
}

// fastValue converts v by its column's shortcut; ok is false when the
// shortcut does not apply and the converter must run.
func fastValue(f fastKind, t *colType, v any, ar *arena) (any, bool) {
	switch f {
	case fastInt:
		_, ok := v.(int64)
		return v, ok
	case fastFloat:
		_, ok := v.(float64)
		return v, ok
	case fastString:
		switch x := v.(type) {
		case []byte:
			return ar.str(x), true
		case string:
			return v, true
		}
	case fastTime:
		if x, ok := v.(time.Time); ok && !x.IsZero() && (t.kind != kTimestamp || x.Location() == time.UTC) {
			return v, true
		}
	case fastDec64:
		if x, ok := v.([]byte); ok && len(x) > 0 {
			if n, ok := decimal64(unsafe.String(&x[0], len(x)), t.width, t.scale); ok {
				return n, true
			}
		}
	}
	return nil, false
}

// errNoRaw says the driver cannot be read directly: use database/sql.
var errNoRaw = errors.New("no raw driver query")

// rawQuery runs q on the driver connection under conn and calls each with
// every row's values, which are valid only until the next row. handled is
// false when the driver does not take this path (then nothing was read).
func rawQuery(ctx context.Context, conn *sql.Conn, q string, args []any, each func([]driver.Value) error) (handled bool, err error) {
	err = conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return errNoRaw
		}
		named := make([]driver.NamedValue, len(args))
		for i, a := range args {
			named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
			if c, ok := dc.(driver.NamedValueChecker); ok {
				if err := c.CheckNamedValue(&named[i]); err == nil {
					continue
				} else if !errors.Is(err, driver.ErrSkip) {
					return err
				}
			}
			v, err := driver.DefaultParameterConverter.ConvertValue(a)
			if err != nil {
				return errNoRaw
			}
			named[i].Value = v
		}
		rows, err := qc.QueryContext(ctx, q, named)
		if errors.Is(err, driver.ErrSkip) {
			return errNoRaw
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		vals := make([]driver.Value, len(rows.Columns()))
		for {
			if err := rows.Next(vals); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			if err := each(vals); err != nil {
				return err
			}
		}
	})
	if errors.Is(err, errNoRaw) {
		return false, nil
	}
	return true, err
}

// maxDec64 is the widest decimal whose unscaled value fits an int64, the
// form DuckDB's appender takes for DECIMAL(≤18, s).
const maxDec64 = 18

// decimal64 parses plain decimal text into its unscaled value at scale;
// ok is false for anything else (signs, exponents, too many digits), which
// the slower exact parser then handles or rejects with a reason.
func decimal64(s string, width, scale int) (int64, bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg, i = s[0] == '-', 1
	}
	var n int64
	intDigits, frac, dot, digits := 0, 0, false, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = true
			if dot {
				if frac == scale {
					if c != '0' {
						return 0, false
					}
					continue
				}
				frac++
			} else {
				if n == 0 && c == '0' {
					continue
				}
				intDigits++
				if intDigits > width-scale {
					return 0, false
				}
			}
			n = n*10 + int64(c-'0')
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if !digits {
		return 0, false
	}
	for ; frac < scale; frac++ {
		n *= 10
	}
	if neg {
		n = -n
	}
	return n, true
}
