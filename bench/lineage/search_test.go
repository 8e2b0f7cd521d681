package lineage

import (
	"fmt"
	"testing"
	"time"

	"github.com/kilnhq/kiln/catalog"
	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
)

// bigCatalog is 5,000 tables of 20 columns each (100,000 columns), every
// column commented, in four layers.
func bigCatalog() []*meta.CatalogTable {
	layers := []string{"ods", "dwd", "dws", "ads"}
	var ts []*meta.CatalogTable
	for i := range 5000 {
		t := &meta.CatalogTable{Engine: "warehouse", Schema: layers[i%4], Name: fmt.Sprintf("table_%d_orders", i), Layer: layers[i%4],
			Owner: fmt.Sprintf("owner%d", i%50), Tags: []string{fmt.Sprintf("domain%d", i%20)}, Comment: "a table of the warehouse"}
		for j := range 20 {
			t.Columns = append(t.Columns, meta.CatalogColumn{Name: fmt.Sprintf("col_%d_%d", i, j), Type: "VARCHAR",
				Comment: fmt.Sprintf("column %d of table %d, user facing amount", j, i)})
		}
		ts = append(ts, t)
	}
	return ts
}

// BenchmarkCatalogSearch searches a 100,000-column catalog: a rare exact
// name, a common substring, and a filtered query; it prints each latency.
func BenchmarkCatalogSearch(b *testing.B) {
	start := time.Now()
	ix := catalog.NewIndex(bigCatalog())
	b.Logf("index of %d texts built in %s", ix.Len(), time.Since(start))
	for _, q := range []catalog.Query{
		{Text: "col_4321_7"},
		{Text: "amount"},
		{Text: "orders", Layer: "dws", Owner: "owner7"},
	} {
		b.Run(q.Text, func(b *testing.B) {
			for b.Loop() {
				ix.Search(q)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/search")
		})
	}
}

// BenchmarkCorpusDuckDB is BenchmarkCorpus read by DuckDB's own parser
// (the duckdb dialect): each statement is a round trip through an
// in-memory DuckDB's json_serialize_sql.
func BenchmarkCorpusDuckDB(b *testing.B) {
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
			lineage.Analyze("duckdb", c.SQL, lineage.Options{Catalog: c.Metadata})
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "stmts/s")
}
