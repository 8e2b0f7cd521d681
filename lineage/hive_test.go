package lineage

import (
	"reflect"
	"testing"
)

func TestAnalyze_InsertOverwrite(t *testing.T) {
	t.Parallel()
	for _, sql := range []string{
		"INSERT OVERWRITE TABLE dw.daily PARTITION (dt='2024-03-01') SELECT id, amount FROM ods.orders",
		"insert overwrite dw.daily select id, amount from ods.orders",
		"WITH o AS (SELECT id, amount FROM ods.orders) INSERT OVERWRITE TABLE dw.daily SELECT id, amount FROM o",
	} {
		for _, d := range []string{"ansi", "duckdb"} {
			res, err := Analyze(d, sql, Options{})
			if err != nil {
				t.Fatalf("%s %q: %v", d, sql, err)
			}
			if !reflect.DeepEqual(res.Sources, []string{"ods.orders"}) || !reflect.DeepEqual(res.Targets, []string{"dw.daily"}) {
				t.Fatalf("%s %q: sources %v targets %v", d, sql, res.Sources, res.Targets)
			}
		}
	}
}
