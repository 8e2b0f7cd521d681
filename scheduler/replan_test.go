package scheduler

import (
	"context"
	"testing"

	"github.com/kilnhq/kiln/meta"
)

// TestPlanner_Replan changes tasks between plans: waiting instances of a
// changed task take its new version and edges, unchanged ones keep theirs
// and their unmet counts, and nothing is created twice.
func TestPlanner_Replan(t *testing.T) {
	t.Parallel()
	daily := meta.Schedule{Cron: "0 2 * * *"}
	f := setup(t,
		meta.TaskSpec{Name: "a", Schedule: daily},
		meta.TaskSpec{Name: "b", Schedule: daily, Upstreams: []string{"a"}},
	)
	ctx := context.Background()
	if _, err := f.pl.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	before := f.instances(t, "b")
	if len(before) != 2 || before[0].Unmet != 1 || before[1].Unmet != 1 {
		t.Fatalf("b before: %+v", before)
	}
	save := func(spec meta.TaskSpec) *meta.Version {
		t.Helper()
		tk, err := f.store.GetTask(ctx, f.proj.ID, spec.Name)
		if err != nil {
			t.Fatal(err)
		}
		spec.Type = meta.TaskShell
		v, err := f.store.AddVersion(ctx, &meta.AddVersionParams{TaskID: tk.ID, Spec: spec, Hash: spec.Name + "2"})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	va := save(meta.TaskSpec{Name: "a", Schedule: daily, Priority: 5})
	res, err := f.pl.Plan(ctx)
	if err != nil || res.Created != 0 {
		t.Fatalf("replan: %+v, %v", res, err)
	}
	for _, in := range f.instances(t, "a") {
		if in.VersionID != va.ID || in.Priority != 5 || in.State != meta.StateWaiting {
			t.Fatalf("a after its change: %+v, want version %d, priority 5", in, va.ID)
		}
	}
	for i, in := range f.instances(t, "b") {
		if in.ID != before[i].ID || in.VersionID != before[i].VersionID || in.Unmet != 1 {
			t.Fatalf("unchanged b after a's change: %+v, was %+v", in, before[i])
		}
	}
	vb := save(meta.TaskSpec{Name: "b", Schedule: daily})
	if _, err := f.pl.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	for _, in := range f.instances(t, "b") {
		ups, err := f.store.Upstreams(ctx, in.ID)
		if err != nil || len(ups) != 0 || in.Unmet != 0 || in.VersionID != vb.ID {
			t.Fatalf("b without upstreams: %+v, edges %d (%v)", in, len(ups), err)
		}
	}
}
