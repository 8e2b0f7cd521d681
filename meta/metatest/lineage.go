package metatest

import (
	"github.com/kilnhq/kiln/meta"
)

// lineageCases are the LineageStore sub-tests.
var lineageCases = []testCase{{"TaskLineage", lineageTaskVersions}, {"TableWrites", lineageTableWrites}}

func (f *fixture) lineageStore() meta.LineageStore {
	ls, ok := f.s.(meta.LineageStore)
	if !ok {
		f.t.Fatal("store does not implement meta.LineageStore")
	}
	return ls
}

func lineageTaskVersions(f *fixture) {
	t, ls, p := f.t, f.lineageStore(), f.project("edu")
	task, v := f.task(p.ID, "load")
	l := &meta.TaskLineage{ProjectID: p.ID, TaskID: task.ID, TaskName: "load", Version: v.Version, Dialect: "duckdb",
		Sources: []string{"ods.a"}, Targets: []string{"dw.b"}, Columns: []meta.LineageEdge{{Source: "ods.a.x", Target: "dw.b.x"}}}
	must(t, ls.PutTaskLineage(f.ctx, l))
	// Saving the same version again replaces it.
	l.Sources = []string{"ods.a", "ods.c"}
	must(t, ls.PutTaskLineage(f.ctx, l))
	got, err := ls.ListTaskLineage(f.ctx, p.ID)
	must(t, err)
	if len(got) != 1 || len(got[0].Sources) != 2 || got[0].Columns[0].Target != "dw.b.x" || got[0].TaskName != "load" || got[0].ComputedAt.IsZero() {
		t.Fatalf("lineage reads back as %+v", got)
	}
	// A new version makes the old lineage stale: only the current one lists.
	spec := v.Spec
	spec.Description = "changed"
	v2, err := f.s.AddVersion(f.ctx, &meta.AddVersionParams{TaskID: task.ID, Spec: spec, Hash: "h2"})
	must(t, err)
	got, err = ls.ListTaskLineage(f.ctx, p.ID)
	must(t, err)
	if len(got) != 0 {
		t.Errorf("lineage of an old version listed: %+v", got)
	}
	must(t, ls.PutTaskLineage(f.ctx, &meta.TaskLineage{ProjectID: p.ID, TaskID: task.ID, TaskName: "load", Version: v2.Version, Error: "line 1, column 1: syntax error"}))
	got, err = ls.ListTaskLineage(f.ctx, p.ID)
	must(t, err)
	if len(got) != 1 || got[0].Error == "" || got[0].Sources == nil || got[0].Columns == nil {
		t.Errorf("failed lineage reads back as %+v", got)
	}
}

func lineageTableWrites(f *fixture) {
	t, ls, p := f.t, f.lineageStore(), f.project("edu")
	for i := range 3 {
		must(t, ls.AddTableWrite(f.ctx, &meta.TableWrite{ProjectID: p.ID, Table: "dw.b", InstanceID: int64(10 + i), TaskName: "load", Bizdate: "2024-01-0" + string(rune('1'+i)), Rows: int64(i)}))
	}
	must(t, ls.AddTableWrite(f.ctx, &meta.TableWrite{ProjectID: p.ID, Table: "dw.other", InstanceID: 99}))
	got, err := ls.ListTableWrites(f.ctx, p.ID, "dw.b", 2)
	must(t, err)
	if len(got) != 2 || got[0].InstanceID != 12 || got[1].InstanceID != 11 || got[0].At.IsZero() || got[0].Bizdate != "2024-01-03" {
		t.Errorf("writes of dw.b = %+v", got)
	}
}
