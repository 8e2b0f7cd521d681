package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
)

// TestCLI_LineageAndTablePage applies the sales project, runs its models,
// and reads the stored lineage back through impact, the graph API and the
// table page (with the update records of the instances that ran).
func TestCLI_LineageAndTablePage(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", salesProject(t))

	out := k.mustCLI("lineage", "impact", "-p", "shop", "dwd.sales")
	if !strings.Contains(out, "ads.total") || !strings.Contains(out, "total") {
		t.Fatalf("impact of dwd.sales: %s", out)
	}
	out = k.mustCLI("lineage", "impact", "-p", "shop", "dwd.sales.amount")
	if !strings.Contains(out, "ads.total.amount") || !strings.Contains(out, "column") {
		t.Fatalf("impact of dwd.sales.amount: %s", out)
	}
	g, err := k.client().LineageGraph(t.Context(), "shop", "ads.total", "up", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 2 || g.Nodes[1].ID != "dwd.sales" || g.Edges[0].Task != "total" {
		t.Fatalf("graph up from ads.total: %+v", g)
	}
	if r := k.cli("lineage", "impact", "-p", "shop"); r.code != 2 {
		t.Fatalf("impact without a node: %+v", r)
	}

	k.mustCLI("run", "sales", "-p", "shop", "--bizdate", "2024-03-01", "--wait")
	k.mustCLI("run", "total", "-p", "shop", "--bizdate", "2024-03-01", "--wait")
	// The write is recorded from the instance event; poll with a deadline.
	var page api.TablePage
	for deadline := time.Now().Add(10 * time.Second); ; {
		if err := json.Unmarshal([]byte(k.mustCLI("table", "show", "-p", "shop", "ads.total", "--json")), &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Updates) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(page.Producers) != 1 || page.Producers[0].Task != "total" || !strings.Contains(page.Producers[0].SQL, "sum(amount)") || page.Producers[0].Owner != "tester" {
		t.Errorf("producers: %+v", page.Producers)
	}
	if len(page.Updates) != 1 || page.Updates[0].Bizdate != "2024-03-01" || page.Updates[0].TaskName != "total" {
		t.Errorf("update records: %+v", page.Updates)
	}
	if len(page.Columns) == 0 || page.Columns[0].Sources[0] != "dwd.sales.dt" {
		t.Errorf("columns: %+v", page.Columns)
	}
	out = k.mustCLI("table", "show", "-p", "shop", "ads.total")
	if !strings.Contains(out, "produced by task total") || !strings.Contains(out, "upstream: dwd.sales (1)") {
		t.Errorf("table show: %s", out)
	}
	if r := k.cli("table", "show", "-p", "shop", "no.such"); r.code != 1 || !strings.Contains(r.stderr, "no task's lineage") {
		t.Errorf("unknown table: %+v", r)
	}
}
