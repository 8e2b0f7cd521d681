package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
)

// TestCLI_DataMap runs the sales project, crawls the warehouse and reads
// the catalog back through table show, search, lifecycle and partition
// expiry; the server emits OpenLineage events to a file meanwhile.
func TestCLI_DataMap(t *testing.T) {
	olFile := filepath.Join(t.TempDir(), "ol.jsonl")
	k := startKiln(t, cli.ServerOptions{Lineage: cli.LineageOptions{OpenLineageFile: olFile}})
	k.mustCLI("apply", salesProject(t))
	k.mustCLI("run", "sales", "-p", "shop", "--bizdate", "2024-03-01", "--wait")
	k.mustCLI("run", "total", "-p", "shop", "--bizdate", "2024-03-01", "--wait")
	k.mustCLI("table", "crawl", "-p", "shop")

	var page api.TablePage
	if err := json.Unmarshal([]byte(k.mustCLI("table", "show", "-p", "shop", "ads.total", "--json")), &page); err != nil {
		t.Fatal(err)
	}
	cat := page.Catalog
	if cat == nil || cat.Layer != "ads" || len(cat.Columns) != 2 || cat.Columns[1].Name != "amount" || cat.Columns[1].Type == "" ||
		cat.Rows < 0 || len(cat.Producers) != 1 {
		t.Fatalf("catalog of ads.total: %+v", cat)
	}
	out := k.mustCLI("table", "show", "-p", "shop", "ads.total")
	for _, want := range []string{"layer ads", "COLUMN", "amount"} {
		if !strings.Contains(out, want) {
			t.Errorf("table show lacks %q:\n%s", want, out)
		}
	}

	out = k.mustCLI("table", "search", "-p", "shop", "amount", "--layer", "ads")
	if !strings.Contains(out, "ads.total") || !strings.Contains(out, "column (exact)") || strings.Contains(out, "dwd.sales") {
		t.Errorf("search amount in ads:\n%s", out)
	}
	out = k.mustCLI("table", "search", "-p", "shop", "sal")
	if !strings.Contains(out, "dwd.sales") || !strings.Contains(out, "table (prefix)") {
		t.Errorf("search sal:\n%s", out)
	}

	out = k.mustCLI("table", "lifecycle", "-p", "shop", "--days", "30")
	if !strings.Contains(out, "unwritten and unqueried for 30 days") || strings.Contains(out, "ads.total") {
		t.Errorf("lifecycle:\n%s", out)
	}
	if r := k.cli("table", "lifecycle", "-p", "shop", "--days", "0"); r.code != 2 || !strings.Contains(r.stderr, "--days") {
		t.Errorf("lifecycle --days 0: %+v", r)
	}
	out = k.mustCLI("table", "expire-partitions", "-p", "shop", "--dry-run")
	if !strings.Contains(out, "would drop (dry run) 0 partition(s)") {
		t.Errorf("expire dry run:\n%s", out)
	}

	// START and COMPLETE of each of the two runs, written by the emitter.
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(olFile)
		if strings.Count(string(b), `"eventType":"COMPLETE"`) == 2 && strings.Count(string(b), `"eventType":"START"`) == 2 {
			if !strings.Contains(string(b), `"name":"ads.total"`) {
				t.Errorf("no ads.total output in the events:\n%s", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("OpenLineage events not written within 20s:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCLI_ValidateUpstreamAdvice: validate and apply warn about an upstream
// lineage implies but the task does not declare; with auto_upstreams the
// server adds it.
func TestCLI_ValidateUpstreamAdvice(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	dir := writeProject(t, map[string]string{
		"kiln.yaml":           projectFile("shop", ""),
		"tasks/dwd/sales.sql": modelV1,
		"tasks/ads/total.sql": "/* kiln\ntarget: ads.total\n*/\nSELECT dt, sum(amount) AS amount FROM dwd.sales GROUP BY dt\n",
		"tasks/ads/auto.sql":  "/* kiln\ntarget: ads.auto\nauto_upstreams: true\n*/\nSELECT id FROM dwd.sales\n",
	})
	r := k.cli("validate", dir)
	if r.code != 0 || !strings.Contains(r.stderr, "task total reads dwd.sales, written by task sales, which is not among its upstreams") ||
		!strings.Contains(r.stderr, "task auto: upstream sales is added from lineage (auto_upstreams)") {
		t.Fatalf("validate: %+v", r)
	}
	k.mustCLI("apply", dir)
	out := k.mustCLI("task", "show", "-p", "shop", "auto", "--json")
	if !strings.Contains(out, `"upstreams": [`) || !strings.Contains(out, `"sales"`) {
		t.Errorf("auto task after apply: %s", out)
	}
	out = k.mustCLI("task", "show", "-p", "shop", "total", "--json")
	if strings.Contains(out, `"sales"`) {
		t.Errorf("a task without auto_upstreams got upstreams: %s", out)
	}
}
