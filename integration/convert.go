package integration

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/google/uuid"
)

// converter turns one value as a source driver returns it into the value
// the target's appender takes for the column's type. A conversion error
// makes the row dirty.
type converter func(v any) (any, error)

// text returns v as a string without copying when it is []byte; the
// result must not outlive v.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

func converterFor(t colType) converter {
	switch t.kind {
	case kBool:
		return toBool
	case kInt:
		return toInt
	case kUint, kDecimal:
		return decimalConverter(t.width, t.scale)
	case kFloat:
		if t.Duck == "FLOAT" {
			return func(v any) (any, error) {
				f, err := toFloat(v)
				if err != nil {
					return nil, err
				}
				return float32(f.(float64)), nil
			}
		}
		return toFloat
	case kString:
		return toString
	case kBytes:
		return toBytes
	case kDate, kTimestamp, kTimestampTZ:
		return timeConverter(t.kind)
	case kTime:
		return toTime
	case kInterval:
		return toInterval
	case kUUID:
		return toUUID
	case kJSON:
		return toJSON
	case kBit:
		return toBit
	case kList:
		return listConverter(*t.elem)
	}
	return func(v any) (any, error) { return v, nil }
}

func toBool(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case []byte:
		if len(x) == 1 && x[0] <= 1 { // MySQL BIT(1)
			return x[0] == 1, nil
		}
	}
	if s, ok := text(v); ok {
		return strconv.ParseBool(strings.TrimSpace(s))
	}
	return nil, fmt.Errorf("cannot read %T as a boolean", v)
}

func toInt(v any) (any, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("%d overflows a signed 64-bit integer", x)
		}
		return int64(x), nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case float64:
		if x != math.Trunc(x) {
			return nil, fmt.Errorf("%v is not an integer", x)
		}
		return int64(x), nil
	}
	if s, ok := text(v); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return n, nil
	}
	return nil, fmt.Errorf("cannot read %T as an integer", v)
}

func toFloat(v any) (any, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	}
	if s, ok := text(v); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	}
	return nil, fmt.Errorf("cannot read %T as a number", v)
}

// decimalConverter parses exact decimal text into a duckdb.Decimal of the
// column's width and scale; more fractional digits than the scale, or more
// integer digits than fit, make the row dirty instead of rounding.
func decimalConverter(width, scale int) converter {
	return func(v any) (any, error) {
		var s string
		switch x := v.(type) {
		case duckdb.Decimal:
			s = decimalText(x)
		case int64:
			s = strconv.FormatInt(x, 10)
		case uint64:
			s = strconv.FormatUint(x, 10)
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			t, ok := text(v)
			if !ok {
				return nil, fmt.Errorf("cannot read %T as a decimal", v)
			}
			s = strings.TrimSpace(t)
		}
		return parseDecimal(s, width, scale)
	}
}

func parseDecimal(s string, width, scale int) (any, error) {
	if width <= maxDec64 {
		// DuckDB's appender takes a narrow decimal as its unscaled int64.
		if n, ok := decimal64(s, width, scale); ok {
			return n, nil
		}
	}
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimLeft(s, "+-")
	intPart, frac, _ := strings.Cut(digits, ".")
	frac = strings.TrimRight(frac, "0")
	if len(frac) > scale {
		return nil, fmt.Errorf("%s has more than %d decimal places", s, scale)
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > width-scale {
		return nil, fmt.Errorf("%s does not fit DECIMAL(%d,%d)", s, width, scale)
	}
	all := intPart + frac + strings.Repeat("0", scale-len(frac))
	if all == "" {
		all = "0"
	}
	var val *big.Int
	if len(all) <= 18 {
		n, err := strconv.ParseInt(all, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a decimal", s)
		}
		val = big.NewInt(n)
	} else {
		var ok bool
		if val, ok = new(big.Int).SetString(all, 10); !ok {
			return nil, fmt.Errorf("%q is not a decimal", s)
		}
	}
	if neg {
		val.Neg(val)
	}
	return duckdb.Decimal{Width: uint8(width), Scale: uint8(scale), Value: val}, nil
}

// decimalText writes d with every digit of its scale.
func decimalText(d duckdb.Decimal) string {
	digits := new(big.Int).Abs(d.Value).String()
	if scale := int(d.Scale); scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if d.Value.Sign() < 0 {
		return "-" + digits
	}
	return digits
}

func toString(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case duckdb.Decimal:
		return decimalText(x), nil
	}
	return fmt.Sprint(v), nil
}

func toBytes(v any) (any, error) {
	switch x := v.(type) {
	case []byte:
		// A copy: the batch reader's values live in the driver's buffer.
		return bytes.Clone(x), nil
	case string:
		return []byte(x), nil
	}
	return nil, fmt.Errorf("cannot read %T as bytes", v)
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02",
}

func timeConverter(k kind) converter {
	return func(v any) (any, error) {
		switch x := v.(type) {
		case time.Time:
			if x.IsZero() {
				// MySQL's zero date reads as Go's zero time: no real date.
				return nil, fmt.Errorf("zero date has no equivalent")
			}
			if k == kTimestamp && x.Location() != time.UTC {
				// A wall-clock value: keep the clock reading, not the instant.
				y, mo, d := x.Date()
				h, mi, s := x.Clock()
				return time.Date(y, mo, d, h, mi, s, x.Nanosecond(), time.UTC), nil
			}
			return x, nil
		}
		s, ok := text(v)
		if !ok {
			return nil, fmt.Errorf("cannot read %T as a date or time", v)
		}
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, "0000-00-00") {
			return nil, fmt.Errorf("zero date %q has no equivalent", s)
		}
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t, nil
			}
		}
		return nil, fmt.Errorf("%q is not a date or time", s)
	}
}

func toTime(v any) (any, error) {
	if t, ok := v.(time.Time); ok {
		return time.Date(1970, 1, 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), nil
	}
	s, ok := text(v)
	if !ok {
		return nil, fmt.Errorf("cannot read %T as a time of day", v)
	}
	t, err := time.Parse("15:04:05.999999999", strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("%q is not a time of day between 00:00 and 24:00", s)
	}
	return time.Date(1970, 1, 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), nil
}

// toInterval reads Postgres interval text in its ISO 8601 output style
// (the reader sets IntervalStyle) or a duckdb.Interval.
func toInterval(v any) (any, error) {
	if iv, ok := v.(duckdb.Interval); ok {
		return iv, nil
	}
	s, ok := text(v)
	if !ok {
		return nil, fmt.Errorf("cannot read %T as an interval", v)
	}
	return parseISOInterval(s)
}

func parseISOInterval(s string) (any, error) {
	var iv duckdb.Interval
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "P")
	if !ok {
		return nil, fmt.Errorf("%q is not an ISO 8601 interval", s)
	}
	inTime := false
	for rest != "" {
		if rest[0] == 'T' {
			inTime, rest = true, rest[1:]
			continue
		}
		i := strings.IndexAny(rest, "YMWDHS")
		if i <= 0 {
			return nil, fmt.Errorf("%q is not an ISO 8601 interval", s)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an ISO 8601 interval", s)
		}
		switch {
		case rest[i] == 'Y':
			iv.Months += int32(n * 12)
		case rest[i] == 'M' && !inTime:
			iv.Months += int32(n)
		case rest[i] == 'W':
			iv.Days += int32(n * 7)
		case rest[i] == 'D':
			iv.Days += int32(n)
		case rest[i] == 'H':
			iv.Micros += int64(n * 3600e6)
		case rest[i] == 'M':
			iv.Micros += int64(n * 60e6)
		case rest[i] == 'S':
			iv.Micros += int64(math.Round(n * 1e6))
		}
		rest = rest[i+1:]
	}
	return iv, nil
}

func toUUID(v any) (any, error) {
	switch x := v.(type) {
	case [16]byte:
		u := duckdb.UUID(x)
		return &u, nil
	case []byte:
		if len(x) == 16 {
			u := duckdb.UUID(x)
			return &u, nil
		}
	}
	s, ok := text(v)
	if !ok {
		return nil, fmt.Errorf("cannot read %T as a UUID", v)
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a UUID", s)
	}
	d := duckdb.UUID(u)
	return &d, nil
}

func toJSON(v any) (any, error) {
	s, ok := text(v)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		s = string(b)
	}
	if !json.Valid([]byte(s)) {
		return nil, fmt.Errorf("invalid JSON %.40q", s)
	}
	// The appender marshals JSON column values; a RawMessage stays as is.
	return json.RawMessage(s), nil
}

func toBit(v any) (any, error) {
	switch x := v.(type) {
	case []byte:
		if len(x) > 8 {
			return nil, fmt.Errorf("BIT value of %d bytes overflows 64 bits", len(x))
		}
		var b [8]byte
		copy(b[8-len(x):], x)
		return binary.BigEndian.Uint64(b[:]), nil
	case int64:
		return uint64(x), nil
	case uint64:
		return x, nil
	}
	return nil, fmt.Errorf("cannot read %T as bits", v)
}

// listConverter reads arrays the Postgres reader sends as JSON text.
func listConverter(elem colType) converter {
	conv := converterFor(elem)
	return func(v any) (any, error) {
		if l, ok := v.([]any); ok {
			return convertList(l, conv)
		}
		s, ok := text(v)
		if !ok {
			return nil, fmt.Errorf("cannot read %T as a list", v)
		}
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var raw []any
		if err := d.Decode(&raw); err != nil {
			return nil, fmt.Errorf("list %.40q: %v", s, err)
		}
		for i, e := range raw {
			if n, ok := e.(json.Number); ok {
				raw[i] = string(n)
			}
		}
		return convertList(raw, conv)
	}
}

func convertList(l []any, conv converter) (any, error) {
	out := make([]any, len(l))
	for i, e := range l {
		if e == nil {
			continue
		}
		c, err := conv(e)
		if err != nil {
			return nil, fmt.Errorf("element %d: %v", i+1, err)
		}
		out[i] = c
	}
	return out, nil
}
