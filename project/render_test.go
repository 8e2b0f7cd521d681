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

// Deadline, depends_on_past and max_concurrent are written and read back;
// bad values are problems at their line.
func TestTaskFile_DeadlineSelfDependencyConcurrency(t *testing.T) {
	tc := TaskContext{Project: "p", DefaultEngine: "wh", Engines: []Engine{{Name: "wh", Kind: "duckdb"}}}
	src := "/* kiln\nschedule: 0 2 * * *\ndeadline: 3h30m\ndepends_on_past: true\nmax_concurrent: 2\n*/\nselect 1\n"
	spec, probs := LoadTask("tasks/x.sql", src, tc)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if spec.Deadline.Std().String() != "3h30m0s" || !spec.DependsOnPast || spec.MaxConcurrent != 2 {
		t.Fatalf("spec %+v", spec)
	}
	out, err := RenderTask(spec, tc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"deadline: 3h30m0s\n", "depends_on_past: true\n", "max_concurrent: 2\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered file lacks %q:\n%s", want, out)
		}
	}
	back, probs := LoadTask("tasks/x.sql", out, tc)
	if len(probs) > 0 || !reflect.DeepEqual(back, spec) {
		t.Fatalf("round trip: %v\n%+v\n%+v", probs, back, spec)
	}
	for _, c := range []struct{ src, want string }{
		{"/* kiln\ndeadline: soon\n*/\nselect 1\n", `tasks/x.sql:2:11: deadline: want a duration like 90s, 5m or 1h30m, not "soon"`},
		{"/* kiln\nmax_concurrent: -1\n*/\nselect 1\n", "tasks/x.sql:2:17: max_concurrent"},
		{"/* kiln\ndepends_on_past: maybe\n*/\nselect 1\n", "tasks/x.sql:2:18: depends_on_past"},
	} {
		_, probs := LoadTask("tasks/x.sql", c.src, tc)
		var all []string
		for _, p := range probs {
			all = append(all, p.String())
		}
		if !strings.Contains(strings.Join(all, "\n"), c.want) {
			t.Errorf("%q: want a problem with %q, got %q", c.src, c.want, all)
		}
	}
}
