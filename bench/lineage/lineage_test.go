// Package lineage benchmarks SQL lineage: parse + resolve throughput on the
// sqllineage corpus and on a generated warehouse, and downstream closure in
// a large graph. Run: go test -bench . ./bench/lineage/
package lineage

import (
	"fmt"
	"testing"

	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
)

func BenchmarkCorpus(b *testing.B) {
	cases, err := lineage.LoadCorpus("../../lineage/testdata/sqllineage/cases.json")
	if err != nil {
		b.Fatal(err)
	}
	var n int
	for b.Loop() {
		for _, c := range cases {
			if c.Dialect != "ansi" && c.Dialect != "postgres" && c.Dialect != "duckdb" {
				continue
			}
			lineage.Analyze("postgres", c.SQL, lineage.Options{Catalog: c.Metadata})
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "stmts/s")
}

// warehouse generates n layered INSERT ... SELECT statements with joins,
// CTEs and window functions over a catalog.
func warehouse(n int) (string, lineage.Catalog) {
	cat := lineage.Catalog{}
	sql := ""
	for i := range n {
		cat[fmt.Sprintf("ods.t%d", i)] = []string{"id", "k", "v", "dt"}
		sql += fmt.Sprintf(`INSERT INTO dw.t%d
WITH a AS (SELECT id, k, v, dt FROM ods.t%d WHERE dt = '2024-01-01')
SELECT a.id, b.k, sum(a.v) OVER (PARTITION BY b.k ORDER BY a.dt) AS s, coalesce(b.v, 0) + a.v AS v2
FROM a JOIN ods.t%d b ON a.id = b.id;
`, i, i, (i+1)%n)
	}
	return sql, cat
}

func BenchmarkWarehouse5000(b *testing.B) {
	sql, cat := warehouse(5000)
	for b.Loop() {
		if _, err := lineage.Analyze("postgres", sql, lineage.Options{Catalog: cat}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(5000*float64(b.N)/b.Elapsed().Seconds(), "stmts/s")
}

// BenchmarkClosureDepth10 walks the downstream closure at depth 10 of a
// table in a 50,000-edge graph (a layered DAG, fan-out 5).
func BenchmarkClosureDepth10(b *testing.B) {
	var ls []*meta.TaskLineage
	edges := 0
	for i := 0; edges < 50000; i++ {
		l := &meta.TaskLineage{TaskName: fmt.Sprintf("t%d", i), Targets: []string{fmt.Sprintf("t%d", i)}}
		for j := 1; j <= 5; j++ {
			l.Sources = append(l.Sources, fmt.Sprintf("t%d", (i*7+j*13)%10000))
		}
		edges += len(l.Sources)
		ls = append(ls, l)
	}
	g := lineage.NewGraph(ls)
	var nodes int
	for b.Loop() {
		nodes = len(g.Walk("t1", "down", 10).Nodes)
	}
	b.ReportMetric(float64(nodes), "nodes")
}
