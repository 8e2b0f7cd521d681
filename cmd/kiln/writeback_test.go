package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
)

// A server started with --project writes tasks saved through the API (the
// studio) back into the folder, so a restart, which applies the folder
// again, keeps them instead of removing them.
func TestServer_SavesWriteBackIntoTheProjectFolder(t *testing.T) {
	data, dir := t.TempDir(), salesProject(t)
	k := startKiln(t, cli.ServerOptions{DataDir: data, ProjectDir: dir})
	c, ctx := k.client(), context.Background()
	base := "/api/v1/projects/shop/tasks/"

	file := "/* kiln\n# counts per day, for the daily report\ntarget: ads.daily\nupstreams: [sales]\n*/\n-- made in the studio\nSELECT dt, count(*) AS n FROM dwd.sales GROUP BY dt\n"
	var res api.SaveTaskResult
	if err := c.JSON(ctx, "PUT", base+"daily/file", api.TaskFile{Path: "tasks/ads/daily.sql", Content: file}, &res); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "tasks/ads/daily.sql"))
	if err != nil || string(got) != file {
		t.Fatalf("written file: %v %q", err, got)
	}
	// The settings panel rewrites the header; the folder follows.
	if err := c.JSON(ctx, "PATCH", base+"daily/settings", api.TaskSettings{Retries: ptr(3)}, &res); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(filepath.Join(dir, "tasks/ads/daily.sql"))
	if !strings.Contains(string(got), "retries: 3") || !strings.Contains(string(got), "-- made in the studio") || !strings.Contains(string(got), "# counts per day") {
		t.Fatalf("after the settings panel:\n%s", got)
	}
	// The editor gets the folder's file back, comments and all.
	var back api.TaskFile
	if err := c.JSON(ctx, "GET", base+"daily/file", nil, &back); err != nil || back.Content != string(got) {
		t.Fatalf("file read back: %v\n%s", err, back.Content)
	}
	// A file changed on disk behind the server's back no longer matches the
	// current version: the version is rendered instead.
	if err := os.WriteFile(filepath.Join(dir, "tasks/ads/daily.sql"), []byte(strings.Replace(string(got), "count(*)", "count(1)", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.JSON(ctx, "GET", base+"daily/file", nil, &back); err != nil || strings.Contains(back.Content, "count(1)") || !strings.Contains(back.Content, "count(*)") {
		t.Fatalf("stale file served: %v\n%s", err, back.Content)
	}
	if err := os.WriteFile(filepath.Join(dir, "tasks/ads/daily.sql"), got, 0o644); err != nil {
		t.Fatal(err)
	}
	// Moving the file removes the old one, so the folder never holds a task twice.
	if err := c.JSON(ctx, "PUT", base+"daily/file", api.TaskFile{Path: "tasks/daily.sql", Content: string(got)}, &res); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tasks/ads/daily.sql")); !os.IsNotExist(err) {
		t.Fatalf("the old file is still there: %v", err)
	}
	// A file the folder would not read back (outside task_dirs) is refused
	// and nothing is saved or written.
	err = c.JSON(ctx, "PUT", base+"stray/file", api.TaskFile{Path: "elsewhere/stray.sql", Content: "/* kiln\ntarget: ads.stray\n*/\nSELECT 1 AS x\n"}, nil)
	var ce *client.Error
	if !errorsAs(err, &ce) || ce.Status != 422 || !strings.Contains(string(ce.Details), "task_dirs (tasks)") {
		t.Fatalf("outside task_dirs: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "elsewhere")); !os.IsNotExist(err) {
		t.Fatalf("a refused file was written: %v", err)
	}
	version := res.Current.Version
	k.stop()

	// The restart applies the folder: the studio's task is still there,
	// unchanged (same version), and it runs.
	k2 := startKiln(t, cli.ServerOptions{DataDir: data, ProjectDir: dir})
	out := k2.mustCLI("task", "list", "-p", "shop")
	if !strings.Contains(out, "daily") {
		t.Fatalf("tasks after restart:\n%s", out)
	}
	var f api.TaskFile
	var detail struct {
		Current struct{ Version int } `json:"current"`
	}
	if err := k2.client().JSON(ctx, "GET", base+"daily", nil, &detail); err != nil || detail.Current.Version != version {
		t.Fatalf("version after restart: %v %d, want %d", err, detail.Current.Version, version)
	}
	if err := k2.client().JSON(ctx, "GET", base+"daily/file", nil, &f); err != nil || f.Path != "tasks/daily.sql" {
		t.Fatalf("file after restart: %v %+v", err, f)
	}
	k2.stop()

	// --no-write-back keeps the folder as it is.
	k3 := startKiln(t, cli.ServerOptions{DataDir: data, ProjectDir: dir, NoWriteBack: true})
	if err := k3.client().JSON(ctx, "PUT", base+"other/file", api.TaskFile{Path: "tasks/other.sql", Content: "/* kiln\ntarget: ads.other\n*/\nSELECT 1 AS x\n"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tasks/other.sql")); !os.IsNotExist(err) {
		t.Fatalf("written with --no-write-back: %v", err)
	}
}
