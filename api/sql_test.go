package api

import "testing"

func TestIsQuery(t *testing.T) {
	t.Parallel()
	for sql, want := range map[string]bool{
		"SELECT 1":                        true,
		"  with x as (select 1) select *": true,
		"-- c\n/* d */ FROM t":            true,
		"(SELECT 1) UNION (SELECT 2)":     true,
		"VALUES (1)":                      true,
		"CREATE TABLE t AS SELECT 1":      false,
		"INSERT INTO t SELECT 1":          false,
		"-- only a comment":               false,
		"/* open":                         false,
		"  ":                              false,
		"123":                             false,
	} {
		if got := isQuery(sql); got != want {
			t.Errorf("isQuery(%q) = %v, want %v", sql, got, want)
		}
	}
}
