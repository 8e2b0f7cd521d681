package scheduler

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
)

type fixture struct {
	store *sqlitemeta.Store
	proj  *meta.Project
	pl    *Planner
	now   time.Time
}

func setup(t *testing.T, specs ...meta.TaskSpec) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitemeta.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	proj, err := st.CreateProject(ctx, &meta.CreateProjectParams{Name: "p", Config: meta.Config{Defaults: meta.TaskDefaults{Timezone: "Asia/Shanghai"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		if s.Type == "" {
			s.Type = meta.TaskShell
		}
		if _, _, err := st.CreateTask(ctx, &meta.CreateTaskParams{ProjectID: proj.ID, Spec: s}); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{store: st, proj: proj, pl: NewPlanner(st, slog.New(slog.NewTextHandler(io.Discard, nil)))}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	f.now = time.Date(2024, 3, 1, 0, 30, 0, 0, loc).UTC() // just after midnight: all of today ahead
	f.pl.Now = func() time.Time { return f.now }
	return f
}

func (f *fixture) instances(t *testing.T, task string) []*meta.Instance {
	t.Helper()
	tk, err := f.store.GetTask(context.Background(), f.proj.ID, task)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := f.store.ListInstances(context.Background(), &meta.ListInstancesParams{TaskID: tk.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return ins
}

func TestPlanner_Plan(t *testing.T) {
	t.Parallel()
	daily := meta.Schedule{Cron: "0 2 * * *"}
	f := setup(t,
		meta.TaskSpec{Name: "hourly", Schedule: meta.Schedule{Cron: "5 * * * *"}},
		meta.TaskSpec{Name: "a", Schedule: daily},
		meta.TaskSpec{Name: "b", Schedule: daily, Upstreams: []string{"a", "hourly"}},
		meta.TaskSpec{Name: "c", Schedule: daily, Upstreams: []string{"b@previous"}, DependsOnPast: true},
		meta.TaskSpec{Name: "manual"},
	)
	ctx := context.Background()
	res, err := f.pl.Plan(ctx)
	t.Logf("planned %+v", res)
	if err != nil {
		t.Fatal(err)
	}
	// Today and tomorrow: a, b, c fire twice each (bizdates 02-29, 03-01).
	// b for 03-01 needs all 24 hourly instances of 03-01, the last of
	// which fires on 03-02 00:05, inside the window anyway.
	if n := len(f.instances(t, "a")); n != 2 {
		t.Fatalf("a has %d instances, want 2", n)
	}
	if n := len(f.instances(t, "manual")); n != 0 {
		t.Fatalf("an unscheduled task got %d instances", n)
	}
	again, err := f.pl.Plan(ctx)
	if err != nil || again.Created != 0 {
		t.Fatalf("second plan created %d (%v), want 0", again.Created, err)
	}
	var b *meta.Instance
	for _, in := range f.instances(t, "b") {
		if in.Bizdate == "2024-03-01" {
			b = in
		}
	}
	if b == nil || b.Unmet != 25 {
		t.Fatalf("b for 03-01: %+v, want 25 unmet (a + 24 hours)", b)
	}
	ss := meta.ScheduleStore(f.store)
	ups, err := ss.Upstreams(ctx, b.ID)
	if err != nil || len(ups) != 25 {
		t.Fatalf("b's upstreams: %d, %v", len(ups), err)
	}
	// Succeed every upstream: b is queued once its time comes.
	for _, u := range ups {
		mustMove(t, f.store, u.ID, meta.StateQueued)
		mustMove(t, f.store, u.ID, meta.StateRunning)
		mustMove(t, f.store, u.ID, meta.StateSuccess)
	}
	// Its time (2024) has passed by the store's clock, so the last
	// upstream's success queued it in the same transaction.
	got, _ := f.store.GetInstance(ctx, b.ID)
	if got.Unmet != 0 || got.State != meta.StateQueued {
		t.Fatalf("b after its upstreams: %s unmet %d, want queued with 0", got.State, got.Unmet)
	}
	if n, err := ss.PromoteDue(ctx, f.now.Add(48*time.Hour)); err != nil || n < 1 {
		t.Fatalf("promote: %d %v", n, err) // the others with nothing unmet: a, hourly
	}
	// b fails for good: c of the next day (previous-period dep) becomes upstream_failed; a rerun brings it back.
	mustMove(t, f.store, b.ID, meta.StateRunning)
	mustMove(t, f.store, b.ID, meta.StateFailed)
	var c *meta.Instance
	for _, in := range f.instances(t, "c") {
		if in.Bizdate == "2024-03-02" {
			c = in
		}
	}
	if c != nil && c.State != meta.StateUpstreamFailed {
		t.Fatalf("c after b failed: %s", c.State)
	}
	mustMove(t, f.store, b.ID, meta.StateQueued)
	if c != nil {
		if c, _ = f.store.GetInstance(ctx, c.ID); c.State != meta.StateWaiting {
			t.Fatalf("c after b's rerun: %s", c.State)
		}
	}
}

func mustMove(t *testing.T, st meta.Store, id int64, to meta.State) {
	t.Helper()
	if _, err := st.TransitionInstance(context.Background(), &meta.TransitionParams{ID: id, To: to, ClearLease: to != meta.StateRunning}); err != nil {
		t.Fatal(err)
	}
}

func TestGraph_Cycle(t *testing.T) {
	t.Parallel()
	f := setup(t,
		meta.TaskSpec{Name: "a", Upstreams: []string{"c"}},
		meta.TaskSpec{Name: "b", Upstreams: []string{"a"}},
		meta.TaskSpec{Name: "c", Upstreams: []string{"b"}},
		meta.TaskSpec{Name: "d", Upstreams: []string{"d@previous"}},
	)
	g, err := LoadGraph(context.Background(), f.store)
	if err != nil {
		t.Fatal(err)
	}
	if c := g.Cycle(); c == "" {
		t.Fatal("no cycle found")
	} else {
		t.Log(c)
	}
}
