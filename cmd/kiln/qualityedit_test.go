package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
)

// TestQuality_ChangeAPIRule changes a rule added through the API with PUT:
// it keeps its ID and, under the same name, its results; bad values, a
// move to another task and a rule from the task file are refused, and a
// deleted rule is gone.
func TestQuality_ChangeAPIRule(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	good := strings.Replace(qualityModel, "SELECT i % 3", "SELECT i", 1)
	other := "/* kiln\ntarget: dwd.other\n*/\nSELECT 1 AS x\n"
	dir := writeProject(t, map[string]string{"kiln.yaml": projectFile("shop", ""), "tasks/orders.sql": good, "tasks/other.sql": other})
	k.mustCLI("apply", dir)
	ctx, c := t.Context(), k.client()
	zero := 0.0
	added, err := c.AddQualityRule(ctx, "shop", &meta.QualityRule{Task: "orders", Name: "amount_nulls", Check: meta.CheckNullCount, Column: "amount", Max: &zero})
	if err != nil {
		t.Fatal(err)
	}
	k.mustCLI("run", "orders", "-p", "shop", "--bizdate", "2024-03-01", "--wait")

	put := func(id int64, r *meta.QualityRule) (*meta.StoredQualityRule, error) {
		var out meta.StoredQualityRule
		err := c.JSON(ctx, "PUT", fmt.Sprintf("/api/v1/projects/shop/quality/rules/%d", id), r, &out)
		return &out, err
	}
	five := 5.0
	changed := meta.QualityRule{Task: "orders", Name: "amount_nulls", Check: meta.CheckNullCount, Column: "amount", Max: &five, Severity: meta.SeverityStrong}
	got, err := put(added.ID, &changed)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != added.ID || *got.Rule.Max != 5 || got.Rule.Severity != meta.SeverityStrong || got.CreatedBy != "admin" {
		t.Errorf("changed rule = %+v", got)
	}
	rules, err := c.QualityRules(ctx, "shop", "orders")
	if err != nil {
		t.Fatal(err)
	}
	var api []string
	for _, r := range rules {
		if r.Source == "api" {
			api = append(api, fmt.Sprintf("%d %s max=%g %s", r.ID, r.Name, *r.Rule.Max, r.Rule.Severity))
		}
	}
	if want := fmt.Sprintf("%d amount_nulls max=5 strong", added.ID); len(api) != 1 || api[0] != want {
		t.Errorf("API rules after the change = %q, want [%q]", api, want)
	}

	k.mustCLI("run", "orders", "-p", "shop", "--bizdate", "2024-03-02", "--wait")
	res, err := c.QualityResults(ctx, "shop", url.Values{"rule": {"amount_nulls"}})
	if err != nil {
		t.Fatal(err)
	}
	var dates []string
	for _, r := range res {
		dates = append(dates, r.Bizdate+" "+r.Threshold)
	}
	if len(res) != 2 || res[0].Bizdate != "2024-03-02" || res[1].Bizdate != "2024-03-01" {
		t.Errorf("results of amount_nulls after the change = %q, want both dates", dates)
	}

	for _, c := range []struct {
		id     int64
		rule   meta.QualityRule
		status int
		says   string
	}{
		{added.ID, meta.QualityRule{Task: "orders", Name: "amount_nulls", Check: meta.CheckNullCount, Column: "amount", Min: &five, Max: &zero}, 400, "min 5 is above max 0"},
		{added.ID, meta.QualityRule{Task: "orders", Check: meta.CheckNullCount, Column: "nope", Max: &zero}, 400, "column nope not in table dwd.orders"},
		{added.ID, meta.QualityRule{Task: "orders", Name: "unique_id", Check: meta.CheckRowCount, Min: &zero}, 400, "two rules have this name"},
		{added.ID, meta.QualityRule{Task: "other", Check: meta.CheckRowCount, Min: &zero}, 400, "cannot move from task orders to other"},
		{added.ID + 100, meta.QualityRule{Task: "orders", Check: meta.CheckRowCount, Min: &zero}, 404, "only rules added through the API can be changed"},
	} {
		_, err := put(c.id, &c.rule)
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != c.status || !strings.Contains(ce.Message, c.says) {
			t.Errorf("PUT %d %+v: %v; want %d %q", c.id, c.rule, err, c.status, c.says)
		}
	}
	// Unchanged after the refusals.
	rules, err = c.QualityRules(ctx, "shop", "orders")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.Source == "api" && (r.Name != "amount_nulls" || *r.Rule.Max != 5) {
			t.Errorf("rule after refused changes: %+v", r.Rule)
		}
	}

	if err := c.DeleteQualityRule(ctx, "shop", added.ID); err != nil {
		t.Fatal(err)
	}
	var ce *client.Error
	if _, err := put(added.ID, &changed); !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
		t.Errorf("PUT of a deleted rule: %v", err)
	}
	// The history stays after the rule is deleted.
	if res, err := c.QualityResults(ctx, "shop", url.Values{"rule": {"amount_nulls"}}); err != nil || len(res) != 2 {
		t.Errorf("results after delete: %d %v", len(res), err)
	}
}
