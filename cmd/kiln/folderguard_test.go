package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/project"
)

// What the server writes into a project folder never drops a change: a
// file edited on disk since it was applied is not written over or removed
// (409 changed_on_disk, nothing saved), two changes at once both land, a
// hidden path (which loading skips) is refused, and a rewritten file keeps
// its mode.
func TestServer_FolderWritesLoseNothing(t *testing.T) {
	data, dir := t.TempDir(), salesProject(t)
	k := startKiln(t, cli.ServerOptions{DataDir: data, ProjectDir: dir})
	c, ctx := k.client(), context.Background()
	base := "/api/v1/projects/shop/tasks/"
	totalPath := filepath.Join(dir, "tasks/ads/total.sql")
	versions := func(task string) int {
		var vs []any
		if err := c.JSON(ctx, "GET", base+task+"/versions", nil, &vs); err != nil {
			t.Fatal(err)
		}
		return len(vs)
	}
	conflict := func(what string, err error, want string) {
		t.Helper()
		var ce *client.Error
		if !errorsAs(err, &ce) || ce.Status != 409 || ce.Code != "changed_on_disk" || !strings.Contains(ce.Message, want) {
			t.Fatalf("%s: %v, want 409 changed_on_disk saying %q", what, err, want)
		}
	}

	// An edit made on disk and not applied: the settings panel, the editor
	// and a forced delete of its upstream all refuse to write over it.
	orig, _ := os.ReadFile(totalPath)
	edited := strings.Replace(string(orig), "SELECT", "-- my unapplied edit\nSELECT", 1)
	if err := os.WriteFile(totalPath, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	conflict("settings over a disk edit", c.JSON(ctx, "PATCH", base+"total/settings", api.TaskSettings{Retries: ptr(3)}, nil),
		"tasks/ads/total.sql was changed in the project folder")
	conflict("file over a disk edit", c.JSON(ctx, "PUT", base+"total/file", api.TaskFile{Path: "tasks/ads/total.sql", Content: string(orig) + "-- x\n"}, nil),
		"since the server stored version 1 of task total")
	conflict("move away from a disk edit", c.JSON(ctx, "PUT", base+"total/file", api.TaskFile{Path: "tasks/total.sql", Content: string(orig)}, nil),
		"tasks/ads/total.sql was changed")
	conflict("forced delete rewriting a disk edit", c.JSON(ctx, "DELETE", base+"sales?force=true", nil, nil), "tasks/ads/total.sql was changed")
	if got, _ := os.ReadFile(totalPath); string(got) != edited {
		t.Fatalf("the edit on disk was lost:\n%s", got)
	}
	if n := versions("total"); n != 1 {
		t.Fatalf("total has %d versions after refused saves", n)
	}
	if names := taskNames(t, c, "shop"); len(names) != 2 {
		t.Fatalf("a refused delete removed a task: %v", names)
	}
	// Saving exactly what is on disk is fine (it is what the user wants).
	if err := c.JSON(ctx, "PUT", base+"total/file", api.TaskFile{Path: "tasks/ads/total.sql", Content: edited}, nil); err != nil {
		t.Fatalf("saving the disk's own text: %v", err)
	}
	// Deleting a task whose file was edited on disk is refused too.
	if err := os.WriteFile(totalPath, []byte(edited+"-- more\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conflict("delete of a disk edit", c.JSON(ctx, "DELETE", base+"total", nil, nil), "tasks/ads/total.sql was changed")
	if err := os.WriteFile(totalPath, []byte(edited), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(totalPath, 0o755); err != nil {
		t.Fatal(err)
	}

	// A file the server did not apply is not written over: by a new task,
	// or by a move.
	for _, f := range []string{"tasks/ads/stray.sql", "tasks/dwd/total.sql"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("-- not applied\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conflict("new task onto a stray file", c.JSON(ctx, "PUT", base+"stray/file", api.TaskFile{Path: "tasks/ads/stray.sql", Content: "/* kiln\ntarget: ads.stray\n*/\nSELECT 1 AS x\n"}, nil),
		"tasks/ads/stray.sql already exists")
	conflict("move onto a stray file", c.JSON(ctx, "PUT", base+"total/file", api.TaskFile{Path: "tasks/dwd/total.sql", Content: edited}, nil),
		"tasks/dwd/total.sql already exists")
	for _, f := range []string{"tasks/ads/stray.sql", "tasks/dwd/total.sql"} {
		if got, _ := os.ReadFile(filepath.Join(dir, f)); string(got) != "-- not applied\n" {
			t.Fatalf("%s was written over: %q", f, got)
		}
		_ = os.Remove(filepath.Join(dir, f))
	}

	// A hidden folder or file would be skipped by the next load.
	for _, p := range []string{"tasks/.wip/total.sql", ".hidden/tasks/total.sql"} {
		err := c.JSON(ctx, "PUT", base+"total/file", api.TaskFile{Path: p, Content: edited}, nil)
		var ce *client.Error
		if !errorsAs(err, &ce) || ce.Status != 422 || !strings.Contains(string(ce.Details), "hidden") {
			t.Fatalf("hidden path %s: %v", p, err)
		}
	}
	if _, err := os.Stat(totalPath); err != nil {
		t.Fatalf("a refused move removed the file: %v", err)
	}

	// Two settings changes at once both land, in the store and the file;
	// the file keeps its mode.
	for round := range 8 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs[0] = c.JSON(ctx, "PATCH", base+"total/settings", api.TaskSettings{Retries: ptr(round + 1)}, nil)
		}()
		go func() {
			defer wg.Done()
			errs[1] = c.JSON(ctx, "PATCH", base+"total/settings", api.TaskSettings{Owner: ptr(fmt.Sprintf("owner%d", round))}, nil)
		}()
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v %v", round, errs[0], errs[1])
		}
		got, _ := os.ReadFile(totalPath)
		if !strings.Contains(string(got), fmt.Sprintf("retries: %d", round+1)) || !strings.Contains(string(got), fmt.Sprintf("owner: owner%d", round)) ||
			!strings.Contains(string(got), "-- my unapplied edit") {
			t.Fatalf("round %d lost a change:\n%s", round, got)
		}
		var f api.TaskFile
		if err := c.JSON(ctx, "GET", base+"total/file", nil, &f); err != nil || f.Content != string(got) {
			t.Fatalf("round %d: the store's version is not the file: %v\n%s", round, err, f.Content)
		}
	}
	if st, err := os.Stat(totalPath); err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("mode after rewrites: %v %v", st.Mode(), err)
	}

	// A symlinked task file stays a link; the file it points to changes.
	real := filepath.Join(t.TempDir(), "total.sql")
	cur, _ := os.ReadFile(totalPath)
	if err := os.WriteFile(real, cur, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(totalPath); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, totalPath); err != nil {
		t.Fatal(err)
	}
	if err := c.JSON(ctx, "PATCH", base+"total/settings", api.TaskSettings{Retries: ptr(9)}, nil); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(totalPath); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", st.Mode(), err)
	}
	if got, _ := os.ReadFile(real); !strings.Contains(string(got), "retries: 9") {
		t.Fatalf("the linked file:\n%s", got)
	}

	// Pools set at once all reach kiln.yaml.
	for round := range 4 {
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.JSON(ctx, "PUT", "/api/v1/projects/shop/pools/p"+fmt.Sprint(round*4+i), api.SetPoolRequest{Slots: i + 1}, nil); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	p, problems := project.Load(os.DirFS(dir))
	if len(problems) > 0 || len(p.Config.Pools) != 16 {
		t.Fatalf("kiln.yaml holds %d pools of 16: %v %v", len(p.Config.Pools), p.Config.Pools, problems)
	}
}
