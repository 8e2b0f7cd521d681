package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/project"
)

// The studio's editor: read a task as its file, save it back, create a new
// task from a file, run it, and see the problems of a bad file at their line.
func TestAPI_TaskFileSaveAndCreate(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", salesProject(t))
	c, ctx := k.client(), context.Background()
	base := "/api/v1/projects/shop/tasks/"

	var f api.TaskFile
	if err := c.JSON(ctx, "GET", base+"sales/file", nil, &f); err != nil {
		t.Fatal(err)
	}
	if f.Path != "tasks/dwd/sales.sql" || !strings.HasPrefix(f.Content, "/* kiln\n") || !strings.Contains(f.Content, "target: dwd.sales") ||
		!strings.Contains(f.Content, "FROM range(5) t(i)") || strings.Contains(f.Content, "owner:") {
		t.Fatalf("file of sales: %+v", f)
	}
	// Saving the file as read changes nothing.
	var res api.SaveTaskResult
	if err := c.JSON(ctx, "PUT", base+"sales/file", f, &res); err != nil {
		t.Fatal(err)
	}
	if res.Changed || res.Created || res.Current.Version != 1 {
		t.Fatalf("unchanged save: %+v", res)
	}

	// A new model downstream of sales, written in the editor.
	newTask := api.TaskFile{Path: "tasks/dws/sales_big.sql", Message: "from the studio",
		Content: "/* kiln\ntarget: dws.sales_big\nupstreams: [sales]\n*/\nSELECT * FROM dwd.sales WHERE amount > 10\n"}
	if err := c.JSON(ctx, "PUT", base+"sales_big/file", newTask, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Current.Version != 1 || res.Current.Spec.Owner != "tester" || res.Current.Spec.Type != meta.TaskSQLModel ||
		res.Current.Message != "from the studio" {
		t.Fatalf("create: %+v %+v", res, res.Current)
	}
	if err := c.JSON(ctx, "PUT", base+"sales_big/file", api.TaskFile{Path: newTask.Path, Content: strings.Replace(newTask.Content, "> 10", "> 20", 1)}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Created || !res.Changed || res.Current.Version != 2 {
		t.Fatalf("change: %+v", res)
	}
	// Manual runs do not wait for their upstreams: run sales first.
	day := url.Values{"from": {"2026-01-15"}, "to": {"2026-01-15"}}
	for n, task := range []string{"sales", "sales_big"} {
		if err := c.JSON(ctx, "POST", base+task+"/runs", api.RunRequest{Bizdate: "2026-01-15"}, nil); err != nil {
			t.Fatal(err)
		}
		for _, i := range k.waitInstances("shop", day, n+1) {
			if i.State != meta.StateSuccess {
				t.Fatalf("%s: %s: %s", i.TaskName, i.State, i.Error)
			}
		}
	}

	// Problems come back at their line; nothing is saved.
	bad := api.TaskFile{Path: "tasks/dws/broken.sql", Content: "/* kiln\ntarget: dws.broken\nupstreams: [nope]\n*/\nSELECT 1\n"}
	err := c.JSON(ctx, "PUT", base+"broken/file", bad, nil)
	var ce *client.Error
	if !errorsAs(err, &ce) || ce.Status != http.StatusUnprocessableEntity || ce.Code != "invalid_task" {
		t.Fatalf("bad file: %v", err)
	}
	var probs []project.Problem
	if err := json.Unmarshal(ce.Details, &probs); err != nil || len(probs) != 1 || probs[0].Line != 3 || !strings.Contains(probs[0].Message, "unknown task nope") {
		t.Fatalf("problems: %s", ce.Details)
	}
	if err := c.JSON(ctx, "GET", base+"broken", nil, nil); !errorsAs(err, &ce) || ce.Status != http.StatusNotFound {
		t.Fatalf("broken task was saved: %v", err)
	}
	// The file must be for the task in the address.
	err = c.JSON(ctx, "PUT", base+"other/file", newTask, nil)
	if !errorsAs(err, &ce) || ce.Status != http.StatusUnprocessableEntity || !strings.Contains(string(ce.Details), "not other") {
		t.Fatalf("misnamed file: %v", err)
	}
	// A cycle through the stored tasks is refused.
	cyc := api.TaskFile{Path: "tasks/dwd/sales.sql", Content: strings.Replace(f.Content, "*/", "upstreams: [sales_big]\n*/", 1)}
	if err := c.JSON(ctx, "PUT", base+"sales/file", cyc, nil); !errorsAs(err, &ce) || !strings.Contains(string(ce.Details), "cycle") {
		t.Fatalf("cycle: %v", err)
	}
}
