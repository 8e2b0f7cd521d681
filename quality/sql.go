package quality

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
)

// dialect writes the few SQL pieces that differ between engines.
type dialect string

func (d dialect) ident(s string) string {
	if d == "mysql" {
		return "`" + strings.ReplaceAll(s, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func (d dialect) table(ref engine.TableRef) string {
	if ref.Schema == "" {
		return d.ident(ref.Name)
	}
	return d.ident(ref.Schema) + "." + d.ident(ref.Name)
}

func (d dialect) str(s string) string {
	s = strings.ReplaceAll(s, "'", "''")
	if d == "mysql" {
		s = strings.ReplaceAll(s, `\`, `\\`)
	}
	return "'" + s + "'"
}

func (d dialect) text(expr string) string {
	switch d {
	case "mysql":
		return "CAST(" + expr + " AS CHAR)"
	case "postgres":
		return "CAST(" + expr + " AS TEXT)"
	}
	return "CAST(" + expr + " AS VARCHAR)"
}

// double makes an aggregate a float where the engine would return a
// decimal type the driver reads as an opaque value.
func (d dialect) double(expr string) string {
	switch d {
	case "mysql":
		return expr // the driver returns decimal text, which toFloat reads
	case "postgres":
		return "CAST(" + expr + " AS DOUBLE PRECISION)"
	}
	return "CAST(" + expr + " AS DOUBLE)"
}

func (d dialect) fullMatch(expr, pattern string) string {
	switch d {
	case "mysql":
		return d.text(expr) + " REGEXP " + d.str("^(?:"+pattern+")$")
	case "postgres":
		return d.text(expr) + " ~ " + d.str("^(?:"+pattern+")$")
	}
	return "regexp_full_match(" + d.text(expr) + ", " + d.str(pattern) + ")"
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// violation is the row condition a rule counts, or "" for rules that
// count no rows (min, sum, …).
func (d dialect) violation(r *meta.QualityRule) string {
	col := d.ident(r.Column)
	switch r.Check {
	case meta.CheckNullCount, meta.CheckNullRate:
		return col + " IS NULL"
	case meta.CheckInSet:
		vals := make([]string, len(r.Values))
		for i, v := range r.Values {
			vals[i] = d.str(v)
		}
		return col + " IS NOT NULL AND " + d.text(col) + " NOT IN (" + strings.Join(vals, ", ") + ")"
	case meta.CheckRegex:
		return col + " IS NOT NULL AND NOT " + d.fullMatch(col, r.Pattern)
	case meta.CheckRange:
		var ors []string
		if r.Min != nil {
			ors = append(ors, col+" < "+num(*r.Min))
		}
		if r.Max != nil {
			ors = append(ors, col+" > "+num(*r.Max))
		}
		return strings.Join(ors, " OR ")
	}
	return ""
}

// aggregate is the SELECT-list expression of a metric on a column.
func (d dialect) aggregate(metric, column string) string {
	col := d.ident(column)
	switch metric {
	case "row_count":
		return "count(*)"
	case "null_count", "null_rate":
		return "count(*) - count(" + col + ")"
	case "distinct_count":
		return "count(DISTINCT " + col + ")"
	case "min", "max":
		return d.double(metric + "(" + col + ")")
	case "sum":
		return d.double("sum(" + col + ")")
	case "mean":
		return d.double("avg(" + col + ")")
	}
	panic("quality: unknown metric " + metric) // Validate keeps others out
}

// toFloat reads a number a driver returned.
func toFloat(v any) (float64, bool, error) {
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case int64:
		return float64(x), true, nil
	case int32:
		return float64(x), true, nil
	case int:
		return float64(x), true, nil
	case uint64:
		return float64(x), true, nil
	case float64:
		return x, true, nil
	case float32:
		return float64(x), true, nil
	case bool:
		if x {
			return 1, true, nil
		}
		return 0, true, nil
	case []byte:
		return parseNum(string(x))
	case string:
		return parseNum(x)
	case fmt.Stringer:
		return parseNum(x.String())
	}
	return parseNum(fmt.Sprint(v))
}

func parseNum(s string) (float64, bool, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) {
		return 0, false, fmt.Errorf("%q is not a number", s)
	}
	return f, true, nil
}

// textOf renders a sampled value, capped so a sample stays small.
func textOf(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		s = string(x)
	default:
		s = fmt.Sprint(x)
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
