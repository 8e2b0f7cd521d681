package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
)

// taskNames lists the project's current (not removed) tasks.
func taskNames(t *testing.T, c *client.Client, project string) []string {
	t.Helper()
	var ts []meta.Task
	if err := c.JSON(context.Background(), "GET", "/api/v1/projects/"+project+"/tasks", nil, &ts); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range ts {
		out = append(out, x.Name)
	}
	return out
}

// The studio moves a task's file (PUT …/file with a new path: same task,
// its history kept) and deletes tasks (DELETE …/tasks/{task}): the file
// leaves the project folder, so a restart does not bring the task back;
// dependants refuse it (409 listing them) unless forced, which saves them
// without the upstream.
func TestStudio_MoveAndDeleteTasks(t *testing.T) {
	data, dir := t.TempDir(), salesProject(t)
	k := startKiln(t, cli.ServerOptions{DataDir: data, ProjectDir: dir})
	c, ctx := k.client(), context.Background()
	base := "/api/v1/projects/shop/tasks/"
	var ce *client.Error

	file := "/* kiln\n# the daily report\ntarget: ads.daily\nupstreams: [sales]\n*/\nSELECT dt, count(*) AS n FROM dwd.sales GROUP BY dt\n"
	var res api.SaveTaskResult
	if err := c.JSON(ctx, "PUT", base+"daily/file", api.TaskFile{Path: "tasks/ads/daily.sql", Content: file}, &res); err != nil {
		t.Fatal(err)
	}
	id := res.Task.ID

	// Move: the same file under another folder. Same task, a new version
	// beside the old one, the file only at its new place.
	if err := c.JSON(ctx, "PUT", base+"daily/file", api.TaskFile{Path: "tasks/report/daily.sql", Content: file, Message: "moved"}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Task.ID != id || !res.Changed || res.Current.Version != 2 || res.Current.Spec.Path != "tasks/report/daily.sql" {
		t.Fatalf("move: %+v %+v", res.Task, res.Current)
	}
	if _, err := os.Stat(filepath.Join(dir, "tasks/ads/daily.sql")); !os.IsNotExist(err) {
		t.Fatalf("the old file is still there: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "tasks/report/daily.sql")); err != nil || string(got) != file {
		t.Fatalf("moved file: %v %q", err, got)
	}
	var versions []meta.Version
	if err := c.JSON(ctx, "GET", base+"daily/versions", nil, &versions); err != nil || len(versions) != 2 {
		t.Fatalf("versions after the move: %v %+v", err, versions)
	}
	// A move out of task_dirs is refused, nothing moved.
	err := c.JSON(ctx, "PUT", base+"daily/file", api.TaskFile{Path: "elsewhere/daily.sql", Content: file}, nil)
	if !errorsAs(err, &ce) || ce.Status != 422 {
		t.Fatalf("move out of task_dirs: %v", err)
	}

	// A run of the task leaves an instance that outlives the deletion.
	var inst meta.Instance
	if err := c.JSON(ctx, "POST", base+"daily/runs", api.RunRequest{Bizdate: "2026-01-15"}, &inst); err != nil {
		t.Fatal(err)
	}

	// A viewer may not delete; an unknown task is a 404.
	viewer := k.memberOf(t, "shop", "vera", meta.RoleViewer)
	if err := viewer.JSON(ctx, "DELETE", base+"daily", nil, nil); !errorsAs(err, &ce) || ce.Status != 403 {
		t.Fatalf("viewer's delete: %v", err)
	}
	if err := c.JSON(ctx, "DELETE", base+"nosuch", nil, nil); !errorsAs(err, &ce) || ce.Status != 404 {
		t.Fatalf("unknown task: %v", err)
	}
	if err := c.JSON(ctx, "DELETE", base+"daily?force=maybe", nil, nil); !errorsAs(err, &ce) || ce.Status != 400 {
		t.Fatalf("bad force: %v", err)
	}

	// sales has dependants (total, daily): refused with their list.
	err = c.JSON(ctx, "DELETE", base+"sales", nil, nil)
	if !errorsAs(err, &ce) || ce.Status != 409 || ce.Code != "has_downstream" {
		t.Fatalf("delete with dependants: %v", err)
	}
	var deps []struct{ Project, Task string }
	if err := json.Unmarshal(ce.Details, &deps); err != nil || len(deps) != 2 {
		t.Fatalf("dependants: %v %s", err, ce.Details)
	}
	if !strings.Contains(ce.Message, "shop.daily") || !strings.Contains(ce.Message, "shop.total") {
		t.Fatalf("409 message: %s", ce.Message)
	}
	if _, err := os.Stat(filepath.Join(dir, "tasks/dwd/sales.sql")); err != nil {
		t.Fatalf("a refused delete removed the file: %v", err)
	}

	// daily has none: gone from the list and the folder, history kept.
	var del api.DeleteTaskResult
	if err := c.JSON(ctx, "DELETE", base+"daily", nil, &del); err != nil {
		t.Fatal(err)
	}
	if del.File != "tasks/report/daily.sql" || len(del.Updated) != 0 {
		t.Fatalf("delete result: %+v", del)
	}
	if _, err := os.Stat(filepath.Join(dir, "tasks/report/daily.sql")); !os.IsNotExist(err) {
		t.Fatalf("the deleted task's file is still there: %v", err)
	}
	if names := taskNames(t, c, "shop"); slices.Contains(names, "daily") {
		t.Fatalf("tasks after delete: %v", names)
	}
	if err := c.JSON(ctx, "GET", base+"daily/versions", nil, &versions); err != nil || len(versions) != 2 {
		t.Fatalf("versions after delete: %v %d", err, len(versions))
	}
	if err := c.JSON(ctx, "GET", "/api/v1/instances/"+itoa(inst.ID), nil, nil); err != nil {
		t.Fatalf("instance after delete: %v", err)
	}
	if err := c.JSON(ctx, "DELETE", base+"daily", nil, nil); !errorsAs(err, &ce) || ce.Status != 404 {
		t.Fatalf("deleting twice: %v", err)
	}

	// Forced: total is saved without sales as an upstream (its file too).
	if err := c.JSON(ctx, "DELETE", base+"sales?force=true", nil, &del); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(del.Updated, []string{"total"}) || del.File != "tasks/dwd/sales.sql" {
		t.Fatalf("forced delete: %+v", del)
	}
	got, err := os.ReadFile(filepath.Join(dir, "tasks/ads/total.sql"))
	if err != nil || strings.Contains(string(got), "sales]") || !strings.Contains(string(got), "FROM dwd.sales") {
		t.Fatalf("total's file after the forced delete: %v\n%s", err, got)
	}
	var total api.TaskDetail
	if err := c.JSON(ctx, "GET", base+"total", nil, &total); err != nil || len(total.Current.Spec.Upstreams) != 0 || total.Current.Version != 2 {
		t.Fatalf("total after the forced delete: %v %+v", err, total.Current)
	}
	var audit []meta.AuditEntry
	if err := c.JSON(ctx, "GET", "/api/v1/projects/shop/audit", nil, &audit); err != nil {
		t.Fatal(err)
	}
	deletes := 0
	for _, a := range audit {
		if a.Action == "task.delete" {
			deletes++
		}
	}
	if deletes != 2 {
		t.Fatalf("task.delete audited %d times: %+v", deletes, audit)
	}
	k.stop()

	// The restart applies the folder: the deleted tasks stay deleted.
	k2 := startKiln(t, cli.ServerOptions{DataDir: data, ProjectDir: dir})
	if names := taskNames(t, k2.client(), "shop"); !slices.Equal(names, []string{"total"}) {
		t.Fatalf("tasks after restart: %v", names)
	}
	if err := k2.client().JSON(ctx, "GET", base+"total", nil, &total); err != nil || total.Current.Version != 2 {
		t.Fatalf("total after restart: %v %+v", err, total.Current)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
