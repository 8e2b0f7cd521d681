package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/meta"
)

const qualityModel = `/* kiln
target: dwd.orders
write_mode: overwrite_partition
partition_column: dt
quality:
  - check: unique
    columns: [id]
    severity: strong
  - check: null_rate
    column: amount
    max: 0.5
  - check: row_count
    min: 1
*/
SELECT i % 3 AS id, i * 10 AS amount, '${bizdate}' AS dt
FROM range(5) t(i)
`

// TestQuality_StrongBreachFailsAndAlerts runs a model whose strong rule
// breaks: the instance fails saying why, every result is stored and shown
// by the CLI, and the alert reaches a webhook.
func TestQuality_StrongBreachFailsAndAlerts(t *testing.T) {
	got := make(chan map[string]any, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		got <- m
	}))
	defer hook.Close()
	k := startKiln(t, cli.ServerOptions{})
	alerts := "alerts:\n  group_window: 1ms\n  channels:\n    - name: ops\n      kind: webhook\n      url: " + hook.URL + "\n"
	dir := writeProject(t, map[string]string{"kiln.yaml": projectFile("shop", alerts), "tasks/orders.sql": qualityModel})
	k.mustCLI("apply", dir)

	r := k.cli("run", "orders", "-p", "shop", "--bizdate", "2024-03-01", "--wait")
	if r.code == 0 {
		t.Fatalf("a strong rule breach should fail the run:\n%s", r.stdout)
	}
	insts, err := k.client().Instances(t.Context(), "shop", nil)
	if err != nil || len(insts) != 1 {
		t.Fatalf("instances: %v %v", insts, err)
	}
	in := insts[0]
	if in.State != meta.StateFailed || !strings.Contains(in.Error, "quality: strong rule unique_id breached: 2 duplicated keys") {
		t.Errorf("instance %s with error %q", in.State, in.Error)
	}

	out := k.mustCLI("quality", "results", "dwd.orders", "-p", "shop")
	for _, want := range []string{"unique_id", "breach", "null_rate_amount", "pass", "row_count"} {
		if !strings.Contains(out, want) {
			t.Errorf("quality results lack %q:\n%s", want, out)
		}
	}
	var results []meta.QualityResult
	if err := json.Unmarshal([]byte(k.mustCLI("quality", "results", "dwd.orders", "-p", "shop", "--json")), &results); err != nil || len(results) != 3 {
		t.Fatalf("results JSON: %v %v", results, err)
	}

	deadline := time.After(30 * time.Second)
	for {
		select {
		case m := <-got:
			text, _ := m["text"].(string)
			if strings.Contains(text, "unique_id (strong, breach)") && m["link"] != "" {
				goto alerted
			}
		case <-deadline:
			t.Fatal("no alert with the breached rule reached the webhook")
		}
	}
alerted:
	list := k.mustCLI("alert", "list", "-p", "shop")
	if !strings.Contains(list, "quality.breached") {
		t.Errorf("alert list:\n%s", list)
	}
	ack := k.mustCLI("alert", "ack", "1", "-p", "shop")
	if !strings.Contains(ack, "acknowledged by admin") {
		t.Errorf("ack: %s", ack)
	}
	if out := k.mustCLI("alert", "silence", "--task", "orders", "--for", "2h", "-p", "shop"); !strings.Contains(out, "silence 1 until") {
		t.Errorf("silence: %s", out)
	}
	if out := k.mustCLI("alert", "unsilence", "1", "-p", "shop"); !strings.Contains(out, "silence 1 ended") {
		t.Errorf("unsilence: %s", out)
	}
}

// TestQuality_BadInput: a rule on a missing column, a malformed threshold
// and an unreachable comparison source are refused with clear messages.
func TestQuality_BadInput(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	good := strings.Replace(qualityModel, "SELECT i % 3", "SELECT i", 1)
	dir := writeProject(t, map[string]string{"kiln.yaml": projectFile("shop", ""), "tasks/orders.sql": good})
	k.mustCLI("apply", dir)
	k.mustCLI("run", "orders", "-p", "shop", "--bizdate", "2024-03-01", "--wait")

	rule := filepath.Join(t.TempDir(), "rule.yaml")
	for _, c := range []struct{ rule, says string }{
		{"task: orders\ncheck: null_rate\ncolumn: nope\nmax: 0.1\n", "column nope not in table dwd.orders"},
		{"task: orders\ncheck: row_count\nmin: 10\nmax: 1\n", "min 10 is above max 1"},
		{"task: orders\ncheck: compare\ncompare:\n  source: crm\n  table: orders\n", "comparison source crm cannot be reached"},
	} {
		if err := os.WriteFile(rule, []byte(c.rule), 0o644); err != nil {
			t.Fatal(err)
		}
		r := k.cli("quality", "add", rule, "-p", "shop")
		if r.code == 0 || !strings.Contains(r.stderr, c.says) {
			t.Errorf("quality add %q: exit %d, stderr %q; want %q", c.rule, r.code, r.stderr, c.says)
		}
	}
	bad := strings.Replace(qualityModel, "max: 0.5", "max: half", 1)
	if err := os.WriteFile(filepath.Join(dir, "tasks/orders.sql"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	r := k.cli("validate", dir)
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "tasks/orders.sql:11") {
		t.Errorf("validate with a malformed threshold: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A rule added through the API on a column the table lacks at run time fails the run.
	if err := os.WriteFile(rule, []byte("task: orders\ncheck: null_count\ncolumn: amount\nmax: 0\nseverity: strong\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k.mustCLI("quality", "add", rule, "-p", "shop")
	if out := k.mustCLI("quality", "rules", "-p", "shop"); !strings.Contains(out, "null_count_amount") || !strings.Contains(out, "api") {
		t.Errorf("rules:\n%s", out)
	}
}
