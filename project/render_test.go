package project

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/meta"
)

func contextOf(p *Project) TaskContext {
	return TaskContext{Project: p.Name, DefaultEngine: p.DefaultEngine, Engines: p.Engines, Config: p.Config, Tasks: p.Tasks}
}

// Every task of the example projects renders to a file that LoadTask reads
// back into the same spec.
func TestRenderTaskRoundTrips(t *testing.T) {
	for _, dir := range []string{"../examples/edu", "testdata/edu"} {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		p, probs := Load(os.DirFS(dir))
		if len(probs) > 0 {
			t.Fatalf("%s: %v", dir, probs)
		}
		tc := contextOf(p)
		for _, spec := range p.Tasks {
			src, err := RenderTask(spec, tc)
			if err != nil {
				t.Fatalf("render %s: %v", spec.Name, err)
			}
			got, probs := LoadTask(spec.Path, src, tc)
			if len(probs) > 0 {
				t.Fatalf("%s: rendered file has problems %v:\n%s", spec.Name, probs, src)
			}
			if !reflect.DeepEqual(got, spec) {
				t.Errorf("%s: round trip differs:\n%s\ngot  %+v\nwant %+v", spec.Name, src, got, spec)
			}
		}
	}
}

func TestRenderSQLHeader(t *testing.T) {
	tc := TaskContext{Project: "p", DefaultEngine: "wh", Engines: []Engine{{Name: "wh", Kind: "duckdb"}},
		Config: meta.Config{Defaults: meta.TaskDefaults{Retries: 2}}}
	spec := meta.TaskSpec{Name: "dws_x", Type: meta.TaskSQLModel, Path: "tasks/dws/dws_x.sql", Engine: "wh", Retries: 2,
		Target: "dws.x", WriteMode: meta.WriteOverwrite, Schedule: meta.Schedule{Cron: "0 2 * * *"}, Upstreams: []string{"a", "b"}, SQL: "select 1 as a"}
	src, err := RenderTask(spec, tc)
	if err != nil {
		t.Fatal(err)
	}
	want := "/* kiln\ntype: sql_model\nschedule: 0 2 * * *\nupstreams: [a, b]\ntarget: dws.x\nwrite_mode: overwrite\n*/\nselect 1 as a\n"
	if src != want {
		t.Errorf("got\n%s\nwant\n%s", src, want)
	}
}

func TestLoadTaskProblems(t *testing.T) {
	tc := TaskContext{Project: "p", DefaultEngine: "wh", Engines: []Engine{{Name: "wh", Kind: "duckdb"}},
		Tasks: []meta.TaskSpec{{Name: "a", Type: meta.TaskSQLScript, Path: "tasks/a.sql", Upstreams: []string{"b"}}}}
	cases := []struct{ name, file, src, want string }{
		{"unknown upstream", "tasks/b.sql", "/* kiln\nupstreams: [nope]\n*/\nselect 1\n", "tasks/b.sql:2:13: upstreams: unknown task nope"},
		{"cycle", "tasks/b.sql", "/* kiln\nupstreams: [a]\n*/\nselect 1\n", "depend on each other in a cycle"},
		{"engine", "tasks/b.sql", "/* kiln\nengine: other\n*/\nselect 1\n", `unknown engine "other"`},
		{"param", "tasks/b.sql", "select '${nope}'\n", "nope"},
		{"extension", "tasks/b.txt", "select 1", "ends in .sql"},
		{"path taken", "tasks/a.sql", "/* kiln\nname: c\n*/\nselect 1\n", "already saved in tasks/a.sql"},
		{"header", "tasks/b.sql", "/* kiln\ntype: sql_model\n", "not closed"},
	}
	for _, c := range cases {
		_, probs := LoadTask(c.file, c.src, tc)
		var all []string
		for _, p := range probs {
			all = append(all, p.String())
		}
		if !strings.Contains(strings.Join(all, "\n"), c.want) {
			t.Errorf("%s: want a problem with %q, got %q", c.name, c.want, all)
		}
	}
	spec, probs := LoadTask("tasks/b.sql", "/* kiln\nupstreams: [a]\n*/\nselect 1\n", TaskContext{Project: "p", DefaultEngine: "wh", Engines: tc.Engines,
		Tasks: []meta.TaskSpec{{Name: "a", Type: meta.TaskSQLScript}}})
	if len(probs) > 0 || spec.Name != "b" || spec.Engine != "wh" || spec.Type != meta.TaskSQLScript {
		t.Errorf("got %+v %v", spec, probs)
	}
}
