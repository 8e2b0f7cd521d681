package metatest

import (
	"errors"
	"slices"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// planBatchCases pin meta.PlanBatchStore: current versions in one query,
// batched planning with unmet counts given or counted, replans of waiting
// instances, conflicts, and the waiting instances a replan compares with.
var planBatchCases = []testCase{
	{"CurrentVersions", planBatchCurrentVersions}, {"Insert", planBatchInsert}, {"Counted", planBatchCounted},
	{"Update", planBatchUpdate}, {"Conflict", planBatchConflict},
}

func (f *fixture) planBatch() meta.PlanBatchStore {
	f.t.Helper()
	s, ok := f.s.(meta.PlanBatchStore)
	if !ok {
		f.t.Fatalf("%T implements no meta.PlanBatchStore", f.s)
	}
	return s
}

func planBatchCurrentVersions(f *fixture) {
	t, pb := f.t, f.planBatch()
	p, other := f.project("edu"), f.project("other")
	a, _ := f.task(p.ID, "a")
	b, _ := f.task(p.ID, "b")
	gone, _ := f.task(p.ID, "gone")
	f.task(other.ID, "elsewhere")
	v2, err := f.s.AddVersion(f.ctx, &meta.AddVersionParams{TaskID: a.ID, Spec: meta.TaskSpec{Name: "a", Type: meta.TaskSQLScript, SQL: "SELECT 2"}, Hash: "h2"})
	must(t, err)
	must(t, f.s.RemoveTask(f.ctx, gone.ID))
	got, err := pb.CurrentVersions(f.ctx, p.ID)
	must(t, err)
	if len(got) != 2 || got[a.ID] == nil || got[b.ID] == nil {
		t.Fatalf("current versions: %+v, want tasks %d and %d", got, a.ID, b.ID)
	}
	if g := got[a.ID]; g.ID != v2.ID || g.Version != 2 || g.Spec.SQL != "SELECT 2" || g.TaskID != a.ID {
		t.Fatalf("current version of a: %+v, want %+v", g, v2)
	}
	if got[b.ID].Version != 1 {
		t.Fatalf("current version of b: %+v", got[b.ID])
	}
}

// planWrite is a scheduled instance of v for day.
func planWrite(v *meta.Version, projectID int64, day string) *meta.PlanWrite {
	start, _ := time.Parse(time.DateOnly, day)
	return &meta.PlanWrite{PlanInstanceParams: meta.PlanInstanceParams{ProjectID: projectID, TaskID: v.TaskID,
		VersionID: v.ID, Bizdate: day, PeriodStart: start, PeriodEnd: start.AddDate(0, 0, 1),
		NotBefore: start.AddDate(0, 0, 1), Trigger: meta.TriggerSchedule, Pool: "p", Priority: 3, CreatedBy: "metatest"}}
}

// planBatchInsert writes a chain root → mid → leaf plus a due lone
// instance; the unmet counts come from the caller.
func planBatchInsert(f *fixture) {
	t, pb, s := f.t, f.planBatch(), f.ops()
	p := f.project("edu")
	_, vr := f.task(p.ID, "root")
	_, vm := f.task(p.ID, "mid")
	_, vl := f.task(p.ID, "leaf")
	_, vo := f.task(p.ID, "lone")
	root, mid, leaf := planWrite(vr, p.ID, "2024-01-01"), planWrite(vm, p.ID, "2024-01-01"), planWrite(vl, p.ID, "2024-01-01")
	mid.Ups, mid.Unmet = []*meta.PlanWrite{root}, 1
	leaf.Ups, leaf.Unmet = []*meta.PlanWrite{root, mid}, 2
	lone := planWrite(vo, p.ID, "2024-01-01")
	at := time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC) // every not_before has come
	var created int
	must(t, f.s.InTx(f.ctx, func(tx meta.Store) error {
		var err error
		created, err = tx.(meta.PlanBatchStore).PlanInstances(f.ctx, []*meta.PlanWrite{leaf, mid, root, lone}, at)
		return err
	}))
	if created != 4 || root.ID == 0 || mid.ID == 0 || leaf.ID == 0 || lone.ID == 0 {
		t.Fatalf("created %d, ids %d %d %d %d", created, root.ID, mid.ID, leaf.ID, lone.ID)
	}
	for _, c := range []struct {
		w     *meta.PlanWrite
		state meta.State
		unmet int
		ups   []int64
	}{{root, meta.StateQueued, 0, nil}, {mid, meta.StateWaiting, 1, []int64{root.ID}},
		{leaf, meta.StateWaiting, 2, []int64{root.ID, mid.ID}}, {lone, meta.StateQueued, 0, nil}} {
		in, err := f.s.GetInstance(f.ctx, c.w.ID)
		must(t, err)
		if in.State != c.state || in.Priority != 3 || in.VersionID != c.w.VersionID {
			t.Fatalf("instance %d: %+v, want %s", c.w.ID, in, c.state)
		}
		ups, err := s.Upstreams(f.ctx, c.w.ID)
		must(t, err)
		var ids []int64
		for _, u := range ups {
			ids = append(ids, u.ID)
		}
		slices.Sort(ids)
		slices.Sort(c.ups)
		if !slices.Equal(ids, c.ups) {
			t.Fatalf("upstreams of %d: %v, want %v", c.w.ID, ids, c.ups)
		}
		refs, err := s.ListPeriodInstances(f.ctx, &meta.ListPeriodParams{TaskIDs: []int64{c.w.TaskID},
			From: c.w.PeriodStart, To: c.w.PeriodEnd, Trigger: meta.TriggerSchedule})
		must(t, err)
		if len(refs) != 1 || refs[0].Unmet != c.unmet {
			t.Fatalf("refs of %d: %+v, want unmet %d", c.w.ID, refs, c.unmet)
		}
	}
	waiting, err := pb.ListPlannedWaiting(f.ctx, &meta.ListPeriodParams{From: root.PeriodStart, To: root.PeriodEnd,
		Trigger: meta.TriggerSchedule})
	must(t, err)
	if len(waiting) != 2 || waiting[0].ID > waiting[1].ID {
		t.Fatalf("waiting: %d, want mid and leaf by id", len(waiting))
	}
	byID := map[int64]*meta.PlannedWaiting{waiting[0].ID: waiting[0], waiting[1].ID: waiting[1]}
	w := byID[leaf.ID]
	if w == nil || byID[mid.ID] == nil {
		t.Fatalf("waiting: %+v %+v, want mid %d and leaf %d", waiting[0], waiting[1], mid.ID, leaf.ID)
	}
	if !slices.Equal(w.Ups, []int64{min(root.ID, mid.ID), max(root.ID, mid.ID)}) || w.VersionID != vl.ID ||
		w.Priority != 3 || w.Pool != "p" || w.Deadline != nil || w.NotBefore == nil || !w.NotBefore.Equal(leaf.NotBefore) ||
		!w.Start.Equal(leaf.PeriodStart) || w.TaskID != vl.TaskID {
		t.Fatalf("waiting leaf: %+v", w)
	}
}

// planBatchCounted counts from the store: an upstream that existed and
// failed makes the instance upstream_failed; one that succeeded is met.
func planBatchCounted(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, vu := f.task(p.ID, "up")
	_, vd := f.task(p.ID, "down")
	_, vx := f.task(p.ID, "after")
	ok := f.plan(vu, p.ID, "2024-01-01", nil)
	bad := f.plan(vu, p.ID, "2024-01-02", nil)
	f.move(ok.ID, meta.StateSuccess)
	f.move(bad.ID, meta.StateFailed)
	good := planWrite(vd, p.ID, "2024-01-01")
	good.UpIDs, good.Count = []int64{ok.ID}, true
	broken := planWrite(vd, p.ID, "2024-01-02")
	broken.UpIDs, broken.Count = []int64{bad.ID}, true
	after := planWrite(vx, p.ID, "2024-01-02")
	after.Ups, after.Count = []*meta.PlanWrite{broken}, true
	at := time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC)
	must(t, f.s.InTx(f.ctx, func(tx meta.Store) error {
		_, err := tx.(meta.PlanBatchStore).PlanInstances(f.ctx, []*meta.PlanWrite{good, broken, after}, at)
		return err
	}))
	for w, want := range map[*meta.PlanWrite]meta.State{good: meta.StateQueued, broken: meta.StateUpstreamFailed,
		after: meta.StateUpstreamFailed} {
		in, err := f.s.GetInstance(f.ctx, w.ID)
		must(t, err)
		if in.State != want {
			t.Fatalf("instance %d of task %d: %s, want %s", w.ID, w.TaskID, in.State, want)
		}
	}
}

// planBatchUpdate replans a waiting instance: new version, priority and
// edges; a running one is left running.
func planBatchUpdate(f *fixture) {
	t, s := f.t, f.ops()
	p := f.project("edu")
	task, v1 := f.task(p.ID, "t")
	_, vu := f.task(p.ID, "u")
	old := f.plan(vu, p.ID, "2024-01-01", nil)
	ref := f.plan(v1, p.ID, "2024-01-01", nil)
	_, err := s.SetUpstreams(f.ctx, ref.ID, []int64{old.ID}, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	must(t, err)
	v2, err := f.s.AddVersion(f.ctx, &meta.AddVersionParams{TaskID: task.ID, Spec: meta.TaskSpec{Name: "t", Type: meta.TaskSQLScript, SQL: "SELECT 2"}, Hash: "h2"})
	must(t, err)
	w := planWrite(v2, p.ID, "2024-01-01")
	w.ID, w.Update, w.Priority = ref.ID, true, 7
	at := time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC)
	created := -1
	must(t, f.s.InTx(f.ctx, func(tx meta.Store) error {
		created, err = tx.(meta.PlanBatchStore).PlanInstances(f.ctx, []*meta.PlanWrite{w}, at)
		return err
	}))
	in, err := f.s.GetInstance(f.ctx, ref.ID)
	must(t, err)
	if created != 0 || in.VersionID != v2.ID || in.Priority != 7 || in.State != meta.StateQueued {
		t.Fatalf("replanned: created %d, %+v", created, in)
	}
	ups, err := s.Upstreams(f.ctx, ref.ID)
	must(t, err)
	if len(ups) != 0 {
		t.Fatalf("edges not replaced: %+v", ups)
	}
}

// planBatchConflict: creating an instance that exists is ErrPlanConflict.
func planBatchConflict(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "t")
	f.plan(v, p.ID, "2024-01-01", nil)
	w := planWrite(v, p.ID, "2024-01-01")
	err := f.s.InTx(f.ctx, func(tx meta.Store) error {
		_, err := tx.(meta.PlanBatchStore).PlanInstances(f.ctx, []*meta.PlanWrite{planWrite(v, p.ID, "2024-01-02"), w}, time.Now())
		return err
	})
	if !errors.Is(err, meta.ErrPlanConflict) {
		t.Fatalf("planning an existing instance: %v, want ErrPlanConflict", err)
	}
	refs, err := f.ops().ListPeriodInstances(f.ctx, &meta.ListPeriodParams{From: w.PeriodStart, To: w.PeriodStart.AddDate(0, 0, 3),
		Trigger: meta.TriggerSchedule})
	must(t, err)
	if len(refs) != 1 {
		t.Fatalf("the failed batch left %d instances, want the 1 planned before", len(refs))
	}
}
