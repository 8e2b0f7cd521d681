package main

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
)

// The settings panel's further fields: priority, tags, description,
// parameters, memory limit and auto_upstreams go into the file's header
// (SQL and shell) through the same checks as PUT …/file.
func TestAPI_TaskSettingsMore(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	dir := writeProject(t, map[string]string{
		"kiln.yaml":           projectFile("shop", ""),
		"tasks/dwd/sales.sql": modelV1,
		"tasks/ads/total.sql": "/* kiln\ntarget: ads.total\nwrite_mode: overwrite\nupstreams: [sales]\n*/\nSELECT dt, sum(amount) AS amount FROM dwd.sales GROUP BY dt\n",
		"tasks/ops/ping.sh":   "#!/bin/bash\n# kiln:\n#   owner: ops # who\necho ping\n",
	})
	k.mustCLI("apply", dir)
	c, ctx := k.client(), context.Background()
	base := "/api/v1/projects/shop/tasks/"

	var res api.SaveTaskResult
	req := api.TaskSettings{
		Priority: ptr(-3), Tags: &[]string{" finance ", "daily", "finance", ""}, Description: ptr("Totals per day.\r\nSecond line."),
		Params: &map[string]string{"lookback": "7", "since": "${bizdate-7d}"}, AutoUpstreams: ptr(true), Message: "more settings",
	}
	if err := c.JSON(ctx, "PATCH", base+"total/settings", req, &res); err != nil {
		t.Fatal(err)
	}
	sp := res.Current.Spec
	if !res.Changed || res.Current.Version != 2 || sp.Priority != -3 || !slices.Equal(sp.Tags, []string{"finance", "daily"}) ||
		sp.Description != "Totals per day.\nSecond line." || !maps.Equal(sp.Params, map[string]string{"lookback": "7", "since": "${bizdate-7d}"}) ||
		!sp.AutoUpstreams || !slices.Equal(sp.Upstreams, []string{"sales"}) || sp.Target != "ads.total" {
		t.Fatalf("settings saved: %+v", sp)
	}
	var f api.TaskFile
	if err := c.JSON(ctx, "GET", base+"total/file", nil, &f); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"priority: -3", "tags: [finance, daily]", "lookback:", "auto_upstreams: true", "Second line.", "GROUP BY dt"} {
		if !strings.Contains(f.Content, want) {
			t.Errorf("file lacks %q:\n%s", want, f.Content)
		}
	}
	// The same again saves nothing; zero, empty and false remove the keys.
	if err := c.JSON(ctx, "PATCH", base+"total/settings", req, &res); err != nil || res.Changed {
		t.Fatalf("unchanged: %v %+v", err, res)
	}
	res = api.SaveTaskResult{} // decoding into it would keep the old lists
	cleared := api.TaskSettings{Priority: ptr(0), Tags: &[]string{}, Description: ptr(" "), Params: &map[string]string{}, AutoUpstreams: ptr(false)}
	if err := c.JSON(ctx, "PATCH", base+"total/settings", cleared, &res); err != nil {
		t.Fatal(err)
	}
	if sp := res.Current.Spec; res.Current.Version != 3 || sp.Priority != 0 || len(sp.Tags) != 0 || sp.Description != "" || len(sp.Params) != 0 || sp.AutoUpstreams {
		t.Fatalf("cleared: %+v", sp)
	}
	if err := c.JSON(ctx, "GET", base+"total/file", nil, &f); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"priority", "tags", "params", "description", "auto_upstreams"} {
		if strings.Contains(f.Content, gone+":") {
			t.Errorf("file still has %s:\n%s", gone, f.Content)
		}
	}

	// A shell task: the memory limit and parameters in its # kiln: header.
	res = api.SaveTaskResult{}
	if err := c.JSON(ctx, "PATCH", base+"ping/settings", api.TaskSettings{MemoryLimitMB: ptr(512), Params: &map[string]string{"host": "db1"}, Tags: &[]string{"ops"}}, &res); err != nil {
		t.Fatal(err)
	}
	if sp := res.Current.Spec; sp.MemoryLimitMB != 512 || sp.Params["host"] != "db1" || !slices.Equal(sp.Tags, []string{"ops"}) || sp.Owner != "ops" {
		t.Fatalf("shell settings: %+v", sp)
	}
	if err := c.JSON(ctx, "GET", base+"ping/file", nil, &f); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.Content, "memory_limit_mb: 512") || !strings.Contains(f.Content, "host: db1") || !strings.Contains(f.Content, "echo ping") {
		t.Fatalf("shell file:\n%s", f.Content)
	}

	// Deadline, self-dependency and a concurrency cap, then removed again.
	res = api.SaveTaskResult{}
	if err := c.JSON(ctx, "PATCH", base+"total/settings", api.TaskSettings{Deadline: ptr("2h"), DependsOnPast: ptr(true), MaxConcurrent: ptr(1)}, &res); err != nil {
		t.Fatal(err)
	}
	if sp := res.Current.Spec; sp.Deadline.Std() != 2*time.Hour || !sp.DependsOnPast || sp.MaxConcurrent != 1 {
		t.Fatalf("deadline settings: %+v", sp)
	}
	if err := c.JSON(ctx, "GET", base+"total/file", nil, &f); err != nil || !strings.Contains(f.Content, "deadline: 2h") ||
		!strings.Contains(f.Content, "depends_on_past: true") || !strings.Contains(f.Content, "max_concurrent: 1") {
		t.Fatalf("file with deadline: %v\n%s", err, f.Content)
	}
	res = api.SaveTaskResult{}
	if err := c.JSON(ctx, "PATCH", base+"total/settings", api.TaskSettings{Deadline: ptr(""), DependsOnPast: ptr(false), MaxConcurrent: ptr(0)}, &res); err != nil {
		t.Fatal(err)
	}
	if sp := res.Current.Spec; sp.Deadline != 0 || sp.DependsOnPast || sp.MaxConcurrent != 0 {
		t.Fatalf("deadline settings removed: %+v", sp)
	}

	// Bad values: 422 with the problem, nothing saved.
	for name, tt := range map[string]struct {
		task string
		req  api.TaskSettings
		want string
	}{
		"param name":          {"total", api.TaskSettings{Params: &map[string]string{"Bad-Name": "1"}}, "parameter name"},
		"built-in param":      {"total", api.TaskSettings{Params: &map[string]string{"bizdate": "x"}}, "built-in parameter"},
		"unknown reference":   {"total", api.TaskSettings{Params: &map[string]string{"p": "${nope}"}}, "nope"},
		"memory on SQL":       {"total", api.TaskSettings{MemoryLimitMB: ptr(256)}, "memory_limit_mb: only shell and python"},
		"negative memory":     {"ping", api.TaskSettings{MemoryLimitMB: ptr(-1)}, "memory_limit_mb: must not be negative"},
		"description with */": {"total", api.TaskSettings{Description: ptr("a */ b")}, "*/"},
		"bad deadline":        {"total", api.TaskSettings{Deadline: ptr("soon")}, "deadline: want a duration"},
		"negative cap":        {"total", api.TaskSettings{MaxConcurrent: ptr(-2)}, "max_concurrent: must not be negative"},
	} {
		before := versions(t, c, base+tt.task)
		err := c.JSON(ctx, "PATCH", base+tt.task+"/settings", tt.req, nil)
		var ce *client.Error
		if !errorsAs(err, &ce) || ce.Status != http.StatusUnprocessableEntity || ce.Code != "invalid_task" || !strings.Contains(string(ce.Details), tt.want) {
			t.Errorf("%s: %v %s", name, err, detailsOf(ce))
		}
		if after := versions(t, c, base+tt.task); after != before {
			t.Errorf("%s: saved a version (%d → %d)", name, before, after)
		}
	}
	// Malformed: a text priority, a list of params.
	var ce *client.Error
	for _, body := range []map[string]any{{"priority": "high"}, {"params": []string{"a"}}, {"tags": "a,b"}} {
		if err := c.JSON(ctx, "PATCH", base+"total/settings", body, nil); !errorsAs(err, &ce) || ce.Status != http.StatusBadRequest {
			t.Errorf("malformed %v: %v", body, err)
		}
	}
	// A viewer may not change them.
	viewer := addViewer(t, k, "shop")
	if err := viewer.JSON(ctx, "PATCH", base+"total/settings", api.TaskSettings{Priority: ptr(1)}, nil); !errorsAs(err, &ce) || ce.Status != http.StatusForbidden {
		t.Fatalf("viewer: %v", err)
	}
}

// versions counts a task's versions.
func versions(t *testing.T, c *client.Client, task string) int {
	t.Helper()
	var vs []meta.Version
	if err := c.JSON(context.Background(), "GET", task+"/versions", nil, &vs); err != nil {
		t.Fatal(err)
	}
	return len(vs)
}
