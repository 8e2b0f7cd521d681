package metatest

import (
	"reflect"

	"github.com/kilnhq/kiln/meta"
)

// poolCases pin meta.PoolStore: running and queued instances counted per
// pool of one project, other states and projects left out.
var poolCases = []testCase{{"Usage", poolsUsage}, {"Slots", poolsSlots}}

func poolsUsage(f *fixture) {
	t := f.t
	ps, ok := f.s.(meta.PoolStore)
	if !ok {
		t.Fatalf("%T implements no meta.PoolStore", f.s)
	}
	p, other := f.project("edu"), f.project("other")
	_, v := f.task(p.ID, "load")
	_, ov := f.task(other.ID, "load")
	in := func(v *meta.Version, projectID int64, pool string, st meta.State) {
		f.t.Helper()
		x := f.instance(v, func(c *meta.CreateInstanceParams) { c.ProjectID, c.Pool, c.State = projectID, pool, meta.StateQueued })
		if st == meta.StateRunning || st == meta.StateSuccess {
			f.move(x.ID, meta.StateRunning)
		}
		if st == meta.StateSuccess {
			f.move(x.ID, meta.StateSuccess, func(p *meta.TransitionParams) { p.ClearLease = true })
		}
	}
	in(v, p.ID, "etl", meta.StateRunning)
	in(v, p.ID, "etl", meta.StateRunning)
	in(v, p.ID, "etl", meta.StateQueued)
	in(v, p.ID, "duckdb", meta.StateQueued)
	in(v, p.ID, "done", meta.StateSuccess)
	in(v, p.ID, "", meta.StateRunning)
	in(ov, other.ID, "etl", meta.StateRunning)
	got, err := ps.PoolUsage(f.ctx, p.ID)
	must(t, err)
	want := []*meta.PoolUsage{{Pool: "", Running: 1}, {Pool: "duckdb", Queued: 1}, {Pool: "etl", Running: 2, Queued: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pool usage %+v, want %+v", poolDump(got), poolDump(want))
	}
	got, err = ps.PoolUsage(f.ctx, 999999)
	must(t, err)
	if len(got) != 0 {
		t.Errorf("pool usage of a missing project: %+v", poolDump(got))
	}
}

func poolDump(us []*meta.PoolUsage) []meta.PoolUsage {
	out := []meta.PoolUsage{}
	for _, u := range us {
		out = append(out, *u)
	}
	return out
}

// poolsSlots: every project's caps as its config says now, the duckdb
// pool's default where a project leaves it out, a change seen at once.
func poolsSlots(f *fixture) {
	t := f.t
	ps := f.s.(meta.PoolStore)
	a, b := f.project("a"), f.project("b")
	_, err := f.s.UpdateProject(f.ctx, &meta.UpdateProjectParams{ID: a.ID, Config: meta.Config{Pools: map[string]int{"etl": 3, meta.DuckDBPool: 5}}})
	must(t, err)
	got, err := ps.PoolSlots(f.ctx)
	must(t, err)
	want := map[meta.PoolKey]int{
		{ProjectID: a.ID, Pool: "etl"}: 3, {ProjectID: a.ID, Pool: meta.DuckDBPool}: 5,
		{ProjectID: b.ID, Pool: meta.DuckDBPool}: meta.DefaultDuckDBSlots,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pool slots %v, want %v", got, want)
	}
	_, err = f.s.UpdateProject(f.ctx, &meta.UpdateProjectParams{ID: b.ID, Config: meta.Config{Pools: map[string]int{"hold": 1}}})
	must(t, err)
	c := f.project("c")
	got, err = ps.PoolSlots(f.ctx)
	must(t, err)
	want[meta.PoolKey{ProjectID: b.ID, Pool: "hold"}] = 1
	want[meta.PoolKey{ProjectID: c.ID, Pool: meta.DuckDBPool}] = meta.DefaultDuckDBSlots
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pool slots after a change %v, want %v", got, want)
	}
}
