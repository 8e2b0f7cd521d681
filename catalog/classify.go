package catalog

import (
	"path"
	"strconv"
	"strings"
	"time"
)

// Layers are the warehouse layers a table can belong to.
var Layers = []string{"ods", "dwd", "dws", "ads", "dim"}

// DefaultSensitive are the column-name fragments marked sensitive in every
// project; a project adds its own with `sensitive:` in kiln.yaml.
var DefaultSensitive = []string{"phone", "mobile", "id_card", "idcard", "id_no", "email", "ssn", "passport", "bank_card", "card_no", "password"}

// PartitionColumns are the column names read as a table's period column
// when no task says which column it partitions by.
var PartitionColumns = []string{"dt", "ds", "pt", "bizdate", "biz_date", "partition_date", "p_date"}

// LayerOf is a table's layer: a tag "layer:X" or "X" wins, then the
// schema's name, then the table name's prefix (ods_, dwd_...); "" when
// none says.
func LayerOf(schema, name string, tags []string) string {
	for _, t := range tags {
		t = strings.ToLower(strings.TrimPrefix(strings.ToLower(t), "layer:"))
		if isLayer(t) {
			return t
		}
	}
	if s := strings.ToLower(schema); isLayer(s) {
		return s
	}
	n := strings.ToLower(name)
	for _, l := range Layers {
		if strings.HasPrefix(n, l+"_") {
			return l
		}
	}
	return ""
}

func isLayer(s string) bool {
	for _, l := range Layers {
		if s == l {
			return true
		}
	}
	return false
}

// Sensitive reports whether a column of table (schema.name) is sensitive:
// its name contains a default fragment, or it matches an entry of the
// project's list. An entry is a column name, table.column or
// schema.table.column, with * and ? wildcards.
func Sensitive(table, column string, project []string) bool {
	col := strings.ToLower(column)
	for _, f := range DefaultSensitive {
		if strings.Contains(col, f) {
			return true
		}
	}
	full := strings.ToLower(table) + "." + col
	_, bare, _ := strings.Cut(strings.ToLower(table), ".")
	for _, e := range project {
		e = strings.ToLower(strings.TrimSpace(e))
		for _, cand := range []string{col, full, bare + "." + col} {
			if ok, _ := path.Match(e, cand); ok {
				return true
			}
		}
	}
	return false
}

// TTLOf reads a table's time to live from a tag "ttl:N" or "ttl:Nd"
// (days); 0 when no tag sets one.
func TTLOf(tags []string) time.Duration {
	for _, t := range tags {
		v, ok := strings.CutPrefix(strings.ToLower(t), "ttl:")
		if !ok {
			continue
		}
		if d, err := strconv.Atoi(strings.TrimSuffix(v, "d")); err == nil && d > 0 {
			return time.Duration(d) * 24 * time.Hour
		}
	}
	return 0
}

// sameTable reports whether a lineage name (schema.table or table, lower
// case) names the catalog table schema.name.
func sameTable(lineageName, schema, name string) bool {
	full := strings.ToLower(schema + "." + name)
	if strings.Contains(lineageName, ".") {
		return lineageName == full || strings.HasSuffix(full, "."+lineageName)
	}
	return lineageName == strings.ToLower(name)
}
