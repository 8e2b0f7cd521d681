package integration

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// kind says how a source value is converted for the target; the target
// type itself is a DuckDB type name (the warehouse's), from which the
// types of other sinks are derived.
type kind int

const (
	kBool kind = iota
	kInt
	kUint // unsigned 64-bit: DECIMAL(20,0) target
	kFloat
	kDecimal
	kString
	kBytes
	kDate
	kTime
	kTimestamp   // wall-clock time, no zone
	kTimestampTZ // an instant
	kInterval
	kUUID
	kJSON
	kList
	kBit // MySQL BIT(n>1): big-endian bytes to an integer
)

// colType is a column's target type and how values reach it.
type colType struct {
	Duck  string // DuckDB type, e.g. DECIMAL(10,2), VARCHAR[]
	kind  kind
	scale int      // kDecimal
	width int      // kDecimal
	elem  *colType // kList
}

func simple(duck string, k kind) colType { return colType{Duck: duck, kind: k} }

func decimalType(p, s int) colType {
	if p <= 0 {
		p = 18
	}
	if p > 38 {
		// DuckDB decimals stop at 38 digits; the exact text survives.
		return simple("VARCHAR", kString)
	}
	return colType{Duck: fmt.Sprintf("DECIMAL(%d,%d)", p, s), kind: kDecimal, width: p, scale: s}
}

// ErrUnknownType is wrapped by errors about a type the mapping lacks.
var ErrUnknownType = fmt.Errorf("type the sync mapping does not know")

var parenArgs = regexp.MustCompile(`\(([^)]*)\)`)

// typeArgs returns the numbers in a type's parentheses: decimal(10,2) → 10, 2.
func typeArgs(t string) []int {
	m := parenArgs.FindStringSubmatch(t)
	if m == nil {
		return nil
	}
	var out []int
	for _, p := range strings.Split(m[1], ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil
		}
		out = append(out, n)
	}
	return out
}

// mapMySQL maps a MySQL/MariaDB column type (information_schema
// COLUMN_TYPE, e.g. "int(10) unsigned", "decimal(10,2)", "enum('a','b')").
func mapMySQL(columnType string) (colType, error) {
	ct := strings.ToLower(strings.TrimSpace(columnType))
	unsigned := strings.Contains(ct, "unsigned")
	base := ct
	if i := strings.IndexAny(base, "( "); i >= 0 {
		base = base[:i]
	}
	args := typeArgs(ct)
	switch base {
	case "tinyint":
		if unsigned {
			return simple("SMALLINT", kInt), nil
		}
		return simple("TINYINT", kInt), nil
	case "smallint":
		if unsigned {
			return simple("INTEGER", kInt), nil
		}
		return simple("SMALLINT", kInt), nil
	case "mediumint":
		return simple("INTEGER", kInt), nil
	case "int", "integer":
		if unsigned {
			return simple("BIGINT", kInt), nil
		}
		return simple("INTEGER", kInt), nil
	case "bigint":
		if unsigned {
			return colType{Duck: "DECIMAL(20,0)", kind: kUint, width: 20}, nil
		}
		return simple("BIGINT", kInt), nil
	case "decimal", "numeric", "fixed":
		p, s := 10, 0
		if len(args) > 0 {
			p = args[0]
		}
		if len(args) > 1 {
			s = args[1]
		}
		return decimalType(p, s), nil
	case "float":
		return simple("FLOAT", kFloat), nil
	case "double", "real":
		return simple("DOUBLE", kFloat), nil
	case "bit":
		if len(args) == 0 || args[0] == 1 {
			return simple("BOOLEAN", kBool), nil
		}
		return simple("UBIGINT", kBit), nil
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set":
		return simple("VARCHAR", kString), nil
	case "json":
		return simple("JSON", kJSON), nil
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return simple("BLOB", kBytes), nil
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection":
		// MySQL's internal form: a 4-byte SRID, then WKB.
		return simple("BLOB", kBytes), nil
	case "date":
		return simple("DATE", kDate), nil
	case "time":
		return simple("TIME", kTime), nil
	case "datetime":
		return simple("TIMESTAMP", kTimestamp), nil
	case "timestamp":
		return simple("TIMESTAMPTZ", kTimestampTZ), nil
	case "year":
		return simple("SMALLINT", kInt), nil
	case "uuid": // MariaDB 10.7+
		return simple("UUID", kUUID), nil
	case "inet4", "inet6":
		return simple("VARCHAR", kString), nil
	}
	return colType{}, fmt.Errorf("%w: MySQL %s", ErrUnknownType, columnType)
}

// mapPostgres maps a Postgres type as format_type() writes it, after
// domains were resolved to their base type; enum says the type is an enum.
func mapPostgres(t string, enum bool) (colType, error) {
	t = strings.ToLower(strings.TrimSpace(t))
	if enum {
		return simple("VARCHAR", kString), nil
	}
	if strings.HasSuffix(t, "[]") {
		el, err := mapPostgres(strings.TrimSuffix(t, "[]"), false)
		if err != nil {
			return colType{}, err
		}
		if el.kind == kList {
			return colType{}, fmt.Errorf("%w: Postgres %s (nested array)", ErrUnknownType, t)
		}
		return colType{Duck: el.Duck + "[]", kind: kList, elem: &el}, nil
	}
	base := t
	if i := strings.Index(base, "("); i >= 0 {
		base = strings.TrimSpace(base[:i]) + strings.TrimSpace(base[strings.Index(base, ")")+1:])
	}
	args := typeArgs(t)
	switch base {
	case "boolean":
		return simple("BOOLEAN", kBool), nil
	case "smallint":
		return simple("SMALLINT", kInt), nil
	case "integer":
		return simple("INTEGER", kInt), nil
	case "bigint":
		return simple("BIGINT", kInt), nil
	case "numeric":
		if len(args) == 0 {
			// Unconstrained numeric has no fixed scale: keep the exact text.
			return simple("VARCHAR", kString), nil
		}
		s := 0
		if len(args) > 1 {
			s = args[1]
		}
		return decimalType(args[0], s), nil
	case "real":
		return simple("FLOAT", kFloat), nil
	case "double precision":
		return simple("DOUBLE", kFloat), nil
	case "money":
		return decimalType(19, 2), nil
	case "text", "character varying", "character", "name", "citext", "tsvector", "tsquery",
		"inet", "cidr", "macaddr", "macaddr8", "xml", "bit", "bit varying", "time with time zone", "oid":
		return simple("VARCHAR", kString), nil
	case "bytea":
		return simple("BLOB", kBytes), nil
	case "date":
		return simple("DATE", kDate), nil
	case "time without time zone":
		return simple("TIME", kTime), nil
	case "timestamp without time zone":
		return simple("TIMESTAMP", kTimestamp), nil
	case "timestamp with time zone":
		return simple("TIMESTAMPTZ", kTimestampTZ), nil
	case "interval":
		return simple("INTERVAL", kInterval), nil
	case "uuid":
		return simple("UUID", kUUID), nil
	case "json", "jsonb":
		return simple("JSON", kJSON), nil
	}
	return colType{}, fmt.Errorf("%w: Postgres %s", ErrUnknownType, t)
}

// mapSQLite maps a SQLite declared type by its affinity rules, with the
// common date and decimal spellings kept.
func mapSQLite(decl string) (colType, error) {
	t := strings.ToUpper(strings.TrimSpace(decl))
	args := typeArgs(t)
	switch {
	case strings.HasPrefix(t, "BOOL"):
		return simple("BOOLEAN", kBool), nil
	case strings.Contains(t, "INT"):
		return simple("BIGINT", kInt), nil
	case strings.HasPrefix(t, "DECIMAL") || strings.HasPrefix(t, "NUMERIC") && len(args) > 0:
		p, s := 18, 0
		if len(args) > 0 {
			p = args[0]
		}
		if len(args) > 1 {
			s = args[1]
		}
		return decimalType(p, s), nil
	case strings.HasPrefix(t, "DATETIME") || strings.HasPrefix(t, "TIMESTAMP"):
		return simple("TIMESTAMP", kTimestamp), nil
	case t == "DATE":
		return simple("DATE", kDate), nil
	case strings.Contains(t, "CHAR") || strings.Contains(t, "CLOB") || strings.Contains(t, "TEXT") || t == "JSON":
		return simple("VARCHAR", kString), nil
	case t == "" || strings.Contains(t, "BLOB"):
		return simple("BLOB", kBytes), nil
	case strings.Contains(t, "REAL") || strings.Contains(t, "FLOA") || strings.Contains(t, "DOUB"):
		return simple("DOUBLE", kFloat), nil
	case strings.HasPrefix(t, "NUMERIC"):
		return simple("DOUBLE", kFloat), nil
	}
	return colType{}, fmt.Errorf("%w: SQLite %s", ErrUnknownType, decl)
}

// mapDuckDB maps a DuckDB type to itself (the warehouse as a source).
func mapDuckDB(t string) (colType, error) {
	u := strings.ToUpper(strings.TrimSpace(t))
	if strings.HasSuffix(u, "[]") {
		el, err := mapDuckDB(strings.TrimSuffix(u, "[]"))
		if err != nil {
			return colType{}, err
		}
		return colType{Duck: u, kind: kList, elem: &el}, nil
	}
	args := typeArgs(u)
	base := u
	if i := strings.Index(base, "("); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "BOOLEAN":
		return simple(u, kBool), nil
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER":
		return simple(u, kInt), nil
	case "UBIGINT":
		return simple(u, kBit), nil
	case "HUGEINT", "UHUGEINT":
		return colType{Duck: "DECIMAL(38,0)", kind: kDecimal, width: 38}, nil
	case "DECIMAL":
		p, s := 18, 3
		if len(args) == 2 {
			p, s = args[0], args[1]
		}
		return decimalType(p, s), nil
	case "FLOAT", "DOUBLE":
		return simple(u, kFloat), nil
	case "VARCHAR":
		return simple("VARCHAR", kString), nil
	case "JSON":
		return simple("JSON", kJSON), nil
	case "BLOB":
		return simple(u, kBytes), nil
	case "DATE":
		return simple(u, kDate), nil
	case "TIME":
		return simple(u, kTime), nil
	case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS":
		return simple("TIMESTAMP", kTimestamp), nil
	case "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ":
		return simple("TIMESTAMPTZ", kTimestampTZ), nil
	case "INTERVAL":
		return simple(u, kInterval), nil
	case "UUID":
		return simple(u, kUUID), nil
	}
	return colType{}, fmt.Errorf("%w: DuckDB %s", ErrUnknownType, t)
}

// rank orders integer widths so widenings can be recognised.
var intRank = map[string]int{"TINYINT": 1, "SMALLINT": 2, "INTEGER": 3, "BIGINT": 4, "HUGEINT": 5}

// widens reports whether a target column of type from can be altered to
// type to without losing any value it holds (a widening), and whether the
// types are the same.
func widens(from, to string) (same, widen bool) {
	from, to = normDuck(from), normDuck(to)
	if from == to {
		return true, false
	}
	fr, fok := intRank[from]
	tr, tok := intRank[to]
	if fok && tok {
		return false, tr > fr
	}
	if strings.HasPrefix(to, "DECIMAL") {
		ta := typeArgs(to)
		if fok && len(ta) == 2 {
			digits := map[int]int{1: 3, 2: 5, 3: 10, 4: 19, 5: 39}[fr]
			return false, ta[0]-ta[1] >= digits
		}
		fa := typeArgs(from)
		if len(fa) == 2 && len(ta) == 2 {
			return false, ta[1] >= fa[1] && ta[0]-ta[1] >= fa[0]-fa[1]
		}
	}
	switch {
	case from == "FLOAT" && to == "DOUBLE":
		return false, true
	case (fok || from == "FLOAT" || from == "DOUBLE" || strings.HasPrefix(from, "DECIMAL")) && to == "VARCHAR":
		return false, true
	case from == "DATE" && (to == "TIMESTAMP"):
		return false, true
	case from == "JSON" && to == "VARCHAR", from == "VARCHAR" && to == "JSON":
		return true, false
	}
	return false, false
}

// normDuck writes a DuckDB type the way duckdb_columns() reports it.
func normDuck(t string) string {
	t = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(t), " ", ""))
	switch t {
	case "TIMESTAMPWITHTIMEZONE":
		return "TIMESTAMPTZ"
	case "REAL", "FLOAT4":
		return "FLOAT"
	case "INT", "INT4":
		return "INTEGER"
	case "INT8":
		return "BIGINT"
	}
	return t
}
