package metatest

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// summaryCases pin meta.SummaryStore: counts, rates' inputs, durations and
// p95 per bizdate, grouped by owner, tier and project, filtered, with the
// top groups and the others merged.
var summaryCases = []testCase{
	{"Totals", summaryTotals}, {"Groups", summaryGroups}, {"FiltersAndTop", summaryFiltersAndTop},
	{"Rerun", summaryRerun}, {"MarkAndKill", summaryMarkAndKill}, {"Backfill", summaryBackfill},
	{"Cascade", summaryCascade}, {"ManyDurations", summaryManyDurations},
}

func (f *fixture) summaryStore() meta.SummaryStore {
	f.t.Helper()
	s, ok := f.s.(meta.SummaryStore)
	if !ok {
		f.t.Fatalf("%T implements no meta.SummaryStore", f.s)
	}
	return s
}

// summaryData is two projects with tasks of several owners and tiers and
// finished instances on 2024-03-01 (and one on 2024-03-02):
//
//	p1 a (ann, core):   success 1s, success 3s (by its deadline), failed 2s
//	p1 b (bob, -):      success 4s (after its deadline), running
//	p1 c (cat, normal): success 5s
//	p2 d (ann, core):   success 6s; and on 03-02 success 1s
type summaryData struct{ p1, p2 *meta.Project }

func (f *fixture) summaryData() summaryData {
	f.t.Helper()
	d := summaryData{p1: f.project("sum1"), p2: f.project("sum2")}
	task := func(p *meta.Project, name, owner string, tier meta.Tier) *meta.Version {
		_, v, err := f.s.CreateTask(f.ctx, &meta.CreateTaskParams{ProjectID: p.ID, Hash: "h1",
			Spec: meta.TaskSpec{Name: name, Type: meta.TaskSQLScript, SQL: "SELECT 1", Owner: owner, Tier: tier}})
		must(f.t, err)
		return v
	}
	a, b, c := task(d.p1, "a", "ann", meta.TierCore), task(d.p1, "b", "bob", ""), task(d.p1, "c", "cat", meta.TierNormal)
	dd := task(d.p2, "d", "ann", meta.TierCore)
	base := time.Date(2024, 3, 2, 1, 0, 0, 0, time.UTC)
	n := 0
	run := func(v *meta.Version, p *meta.Project, day string, st meta.State, secs int, deadline *time.Time) {
		n++
		ref := f.plan(v, p.ID, day, func(pp *meta.PlanInstanceParams) {
			pp.Deadline = deadline
			pp.PeriodStart = pp.PeriodStart.Add(time.Duration(n) * time.Minute) // one instance per period
		})
		f.move(ref.ID, meta.StateQueued)
		f.move(ref.ID, meta.StateRunning)
		if st == meta.StateRunning {
			return
		}
		end := base.Add(time.Duration(secs) * time.Second)
		f.move(ref.ID, st, func(tp *meta.TransitionParams) {
			tp.StartedAt, tp.EndedAt, tp.ClearLease = &base, &end, true
			tp.CPUSeconds = ptr(float64(secs) / 2)
		})
	}
	soon, early := base.Add(time.Hour), base.Add(time.Second)
	run(a, d.p1, "2024-03-01", meta.StateSuccess, 1, nil)
	run(a, d.p1, "2024-03-01", meta.StateSuccess, 3, &soon)
	run(a, d.p1, "2024-03-01", meta.StateFailed, 2, nil)
	run(b, d.p1, "2024-03-01", meta.StateSuccess, 4, &early)
	run(b, d.p1, "2024-03-01", meta.StateRunning, 0, nil)
	run(c, d.p1, "2024-03-01", meta.StateSuccess, 5, nil)
	run(dd, d.p2, "2024-03-01", meta.StateSuccess, 6, nil)
	run(dd, d.p2, "2024-03-02", meta.StateSuccess, 1, nil)
	return d
}

// merged folds the state rows of each (bizdate, group, others) together.
type mergedRow struct {
	total, deadline, ontime int
	states                  map[meta.State]int
	durMs, p95              int64
	cpu                     float64
}

func (f *fixture) summary(p *meta.SummaryParams) map[string]*mergedRow {
	f.t.Helper()
	rows, err := f.summaryStore().OpsSummary(f.ctx, p)
	must(f.t, err)
	out := map[string]*mergedRow{}
	last := ""
	for _, r := range rows {
		k := r.Bizdate + "/" + r.Group
		order := fmt.Sprintf("%s/%t/%s", r.Bizdate, r.Others, r.Group) // others after the named groups
		if r.Others {
			k = r.Bizdate + "/(others)"
		}
		if order < last {
			f.t.Errorf("row %s after %s: not ordered", order, last)
		}
		last = order
		m := out[k]
		if m == nil {
			m = &mergedRow{states: map[meta.State]int{}, p95: r.P95DurationMs}
			out[k] = m
		}
		if m.p95 != r.P95DurationMs {
			f.t.Errorf("%s: p95 %d on one state row, %d on another", k, m.p95, r.P95DurationMs)
		}
		m.total += r.Count
		m.states[r.State] += r.Count
		m.durMs += r.DurationMs
		m.cpu += r.CPUSeconds
		m.deadline += r.WithDeadline
		m.ontime += r.OnTime
	}
	return out
}

func (f *fixture) wantSummary(got map[string]*mergedRow, want map[string]string) {
	f.t.Helper()
	if len(got) != len(want) {
		f.t.Errorf("got groups %v, want %v", keys(got), keys(want))
	}
	for k, w := range want {
		g := got[k]
		if g == nil {
			f.t.Errorf("no row %s in %v", k, keys(got))
			continue
		}
		s := fmt.Sprintf("total=%d success=%d failed=%d running=%d dur=%d p95=%d cpu=%g deadline=%d ontime=%d",
			g.total, g.states[meta.StateSuccess], g.states[meta.StateFailed], g.states[meta.StateRunning], g.durMs, g.p95, g.cpu, g.deadline, g.ontime)
		if s != w {
			f.t.Errorf("%s:\n got %s\nwant %s", k, s, w)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func summaryTotals(f *fixture) {
	d := f.summaryData()
	p := &meta.SummaryParams{ProjectIDs: []int64{d.p1.ID}, BizdateFrom: "2024-03-01", BizdateTo: "2024-03-02"}
	f.wantSummary(f.summary(p), map[string]string{
		"2024-03-01/": "total=6 success=4 failed=1 running=1 dur=15000 p95=5000 cpu=7.5 deadline=2 ontime=1",
	})
	p.ProjectIDs = nil // every project
	f.wantSummary(f.summary(p), map[string]string{
		"2024-03-01/": "total=7 success=5 failed=1 running=1 dur=21000 p95=6000 cpu=10.5 deadline=2 ontime=1",
		"2024-03-02/": "total=1 success=1 failed=0 running=0 dur=1000 p95=1000 cpu=0.5 deadline=0 ontime=0",
	})
	p.ProjectIDs = []int64{}
	if got := f.summary(p); len(got) != 0 {
		f.t.Errorf("no projects gave %v", keys(got))
	}
	p.ProjectIDs, p.BizdateFrom, p.BizdateTo = []int64{d.p1.ID}, "2024-03-02", "2024-03-31"
	if got := f.summary(p); len(got) != 0 {
		f.t.Errorf("a range without instances gave %v", keys(got))
	}
}

func summaryGroups(f *fixture) {
	d := f.summaryData()
	p := &meta.SummaryParams{ProjectIDs: []int64{d.p1.ID}, BizdateFrom: "2024-03-01", BizdateTo: "2024-03-01", GroupBy: meta.GroupOwner}
	f.wantSummary(f.summary(p), map[string]string{
		"2024-03-01/ann": "total=3 success=2 failed=1 running=0 dur=6000 p95=3000 cpu=3 deadline=1 ontime=1",
		"2024-03-01/bob": "total=2 success=1 failed=0 running=1 dur=4000 p95=4000 cpu=2 deadline=1 ontime=0",
		"2024-03-01/cat": "total=1 success=1 failed=0 running=0 dur=5000 p95=5000 cpu=2.5 deadline=0 ontime=0",
	})
	p.GroupBy = meta.GroupTier // b has no tier: normal
	f.wantSummary(f.summary(p), map[string]string{
		"2024-03-01/core":   "total=3 success=2 failed=1 running=0 dur=6000 p95=3000 cpu=3 deadline=1 ontime=1",
		"2024-03-01/normal": "total=3 success=2 failed=0 running=1 dur=9000 p95=5000 cpu=4.5 deadline=1 ontime=0",
	})
	p.GroupBy, p.ProjectIDs = meta.GroupProject, []int64{d.p1.ID, d.p2.ID}
	one, two := strconv.FormatInt(d.p1.ID, 10), strconv.FormatInt(d.p2.ID, 10)
	f.wantSummary(f.summary(p), map[string]string{
		"2024-03-01/" + one: "total=6 success=4 failed=1 running=1 dur=15000 p95=5000 cpu=7.5 deadline=2 ontime=1",
		"2024-03-01/" + two: "total=1 success=1 failed=0 running=0 dur=6000 p95=6000 cpu=3 deadline=0 ontime=0",
	})
}

func summaryFiltersAndTop(f *fixture) {
	d := f.summaryData()
	// Owner filter across projects, grouped by project.
	p := &meta.SummaryParams{BizdateFrom: "2024-03-01", BizdateTo: "2024-03-02", GroupBy: meta.GroupProject, Owner: "ann"}
	one, two := strconv.FormatInt(d.p1.ID, 10), strconv.FormatInt(d.p2.ID, 10)
	f.wantSummary(f.summary(p), map[string]string{
		"2024-03-01/" + one: "total=3 success=2 failed=1 running=0 dur=6000 p95=3000 cpu=3 deadline=1 ontime=1",
		"2024-03-01/" + two: "total=1 success=1 failed=0 running=0 dur=6000 p95=6000 cpu=3 deadline=0 ontime=0",
		"2024-03-02/" + two: "total=1 success=1 failed=0 running=0 dur=1000 p95=1000 cpu=0.5 deadline=0 ontime=0",
	})
	// Tier filter, grouped by owner.
	p = &meta.SummaryParams{ProjectIDs: []int64{d.p1.ID}, BizdateFrom: "2024-03-01", BizdateTo: "2024-03-01", GroupBy: meta.GroupOwner, Tier: "normal"}
	f.wantSummary(f.summary(p), map[string]string{
		"2024-03-01/bob": "total=2 success=1 failed=0 running=1 dur=4000 p95=4000 cpu=2 deadline=1 ontime=0",
		"2024-03-01/cat": "total=1 success=1 failed=0 running=0 dur=5000 p95=5000 cpu=2.5 deadline=0 ontime=0",
	})
	// Top 1 owner (ann, 3 instances); bob and cat merged, with their own p95.
	p.Tier, p.Top = "", 1
	f.wantSummary(f.summary(p), map[string]string{
		"2024-03-01/ann":      "total=3 success=2 failed=1 running=0 dur=6000 p95=3000 cpu=3 deadline=1 ontime=1",
		"2024-03-01/(others)": "total=3 success=2 failed=0 running=1 dur=9000 p95=5000 cpu=4.5 deadline=1 ontime=0",
	})
	p.Owner = "nobody"
	if got := f.summary(p); len(got) != 0 {
		f.t.Errorf("an unknown owner gave %v", keys(got))
	}
}

// summaryIDs is summaryData with the ids of p1's instances on 2024-03-01 in
// the order summaryData makes them: a success 1s, a success 3s, a failed
// 2s, b success 4s, b running, c success 5s.
func (f *fixture) summaryIDs(d summaryData) []int64 {
	f.t.Helper()
	ins, err := f.s.ListInstances(f.ctx, &meta.ListInstancesParams{ProjectID: d.p1.ID, Limit: 1000})
	must(f.t, err)
	ids := make([]int64, 0, len(ins))
	for _, in := range ins {
		ids = append(ids, in.ID)
	}
	slices.Sort(ids)
	if len(ids) != 6 {
		f.t.Fatalf("summaryData made %d instances in p1, want 6", len(ids))
	}
	return ids
}

// summaryWhole is the summary of p1 on 2024-03-01, ungrouped.
func (f *fixture) summaryWhole(d summaryData) map[string]*mergedRow {
	return f.summary(&meta.SummaryParams{ProjectIDs: []int64{d.p1.ID}, BizdateFrom: "2024-03-01", BizdateTo: "2024-03-01"})
}

// summaryRerun: a rerun takes a finished instance out of its final state
// (its figures leave the day) and its new run puts it back; a retry's
// duration replaces the old one.
func summaryRerun(f *fixture) {
	d := f.summaryData()
	ids := f.summaryIDs(d)
	base := time.Date(2024, 3, 2, 1, 0, 0, 0, time.UTC)
	// Rerun the failed one (2s): queued again, its run reset.
	f.move(ids[2], meta.StateQueued, func(tp *meta.TransitionParams) { tp.ResetRun = true })
	f.wantSummary(f.summaryWhole(d), map[string]string{
		"2024-03-01/": "total=6 success=4 failed=0 running=1 dur=13000 p95=5000 cpu=6.5 deadline=2 ontime=1",
	})
	f.checkSummary(d)
	// It runs again, 7s, and succeeds: the p95 moves to it.
	f.move(ids[2], meta.StateRunning)
	end := base.Add(7 * time.Second)
	f.move(ids[2], meta.StateSuccess, func(tp *meta.TransitionParams) {
		tp.StartedAt, tp.EndedAt, tp.ClearLease, tp.CPUSeconds = &base, &end, true, ptr(0.25)
	})
	f.wantSummary(f.summaryWhole(d), map[string]string{
		"2024-03-01/": "total=6 success=5 failed=0 running=1 dur=20000 p95=7000 cpu=6.75 deadline=2 ontime=1",
	})
	f.checkSummary(d)
	// A rerun to waiting of a success (rerun with its downstream).
	f.move(ids[5], meta.StateWaiting, func(tp *meta.TransitionParams) { tp.ResetRun = true })
	f.wantSummary(f.summaryWhole(d), map[string]string{
		"2024-03-01/": "total=6 success=4 failed=0 running=1 dur=15000 p95=7000 cpu=4.25 deadline=2 ontime=1",
	})
	f.checkSummary(d)
}

// summaryMarkAndKill: set-success and set-failed move an instance between
// final states, keeping its duration; a kill ends a running one.
func summaryMarkAndKill(f *fixture) {
	d := f.summaryData()
	ids := f.summaryIDs(d)
	f.move(ids[2], meta.StateSuccess) // set-success of the failed 2s
	f.wantSummary(f.summaryWhole(d), map[string]string{
		"2024-03-01/": "total=6 success=5 failed=0 running=1 dur=15000 p95=5000 cpu=7.5 deadline=2 ontime=1",
	})
	f.checkSummary(d)
	f.move(ids[1], meta.StateFailed) // set-failed of the on-time success: no longer on time
	f.wantSummary(f.summaryWhole(d), map[string]string{
		"2024-03-01/": "total=6 success=4 failed=1 running=1 dur=15000 p95=5000 cpu=7.5 deadline=2 ontime=0",
	})
	f.checkSummary(d)
	end := time.Date(2024, 3, 2, 1, 0, 9, 0, time.UTC)
	f.move(ids[4], meta.StateKilled, func(tp *meta.TransitionParams) { tp.EndedAt, tp.ClearLease = &end, true })
	got := f.summaryWhole(d)["2024-03-01/"]
	if got == nil || got.states[meta.StateKilled] != 1 || got.states[meta.StateRunning] != 0 || got.total != 6 {
		f.t.Errorf("after a kill: %+v", got)
	}
	f.checkSummary(d)
	// Killed → set-success.
	f.move(ids[4], meta.StateSuccess)
	f.checkSummary(d)
}

// summaryBackfill: a backfill's instances count on their bizdates like any
// other, held or released, then finished.
func summaryBackfill(f *fixture) {
	d := f.summaryData()
	_, v, err := f.s.CreateTask(f.ctx, &meta.CreateTaskParams{ProjectID: d.p1.ID, Hash: "h1",
		Spec: meta.TaskSpec{Name: "e", Type: meta.TaskSQLScript, SQL: "SELECT 1", Owner: "eve", Tier: meta.TierCore}})
	must(f.t, err)
	id, err := f.ops().CreateBackfill(f.ctx, &meta.CreateBackfillParams{ProjectID: d.p1.ID, Tasks: []string{"e"},
		From: "2024-02-28", To: "2024-03-01", Parallel: 1, CreatedBy: "metatest"})
	must(f.t, err)
	var refs []*meta.PlanRef
	for _, day := range []string{"2024-02-28", "2024-02-29", "2024-03-01"} {
		refs = append(refs, f.plan(v, d.p1.ID, day, func(pp *meta.PlanInstanceParams) {
			pp.Trigger, pp.BackfillID, pp.NotBefore = meta.TriggerBackfill, id, meta.HeldUntil
		}))
	}
	f.checkSummary(d)
	base := time.Date(2024, 3, 3, 0, 0, 0, 0, time.UTC)
	for i, r := range refs {
		f.move(r.ID, meta.StateQueued)
		f.move(r.ID, meta.StateRunning)
		end := base.Add(time.Duration(10+i) * time.Second)
		st := meta.StateSuccess
		if i == 1 {
			st = meta.StateFailed
		}
		f.move(r.ID, st, func(tp *meta.TransitionParams) { tp.StartedAt, tp.EndedAt, tp.ClearLease = &base, &end, true })
	}
	p := &meta.SummaryParams{ProjectIDs: []int64{d.p1.ID}, BizdateFrom: "2024-02-28", BizdateTo: "2024-03-01", GroupBy: meta.GroupOwner, Owner: "eve"}
	f.wantSummary(f.summary(p), map[string]string{
		"2024-02-28/eve": "total=1 success=1 failed=0 running=0 dur=10000 p95=10000 cpu=0 deadline=0 ontime=0",
		"2024-02-29/eve": "total=1 success=0 failed=1 running=0 dur=11000 p95=11000 cpu=0 deadline=0 ontime=0",
		"2024-03-01/eve": "total=1 success=1 failed=0 running=0 dur=12000 p95=12000 cpu=0 deadline=0 ontime=0",
	})
	f.wantSummary(f.summaryWhole(d), map[string]string{
		"2024-03-01/": "total=7 success=5 failed=1 running=1 dur=27000 p95=12000 cpu=7.5 deadline=2 ontime=1",
	})
	f.checkSummary(d)
	// Rerun of the backfill's failed day.
	f.move(refs[1].ID, meta.StateQueued, func(tp *meta.TransitionParams) { tp.ResetRun = true })
	f.checkSummary(d)
}

// summaryCascade: a failure marks the waiting downstream upstream_failed
// in the same transaction; a rerun of the upstream takes them back.
func summaryCascade(f *fixture) {
	d := f.summaryData()
	up, down := f.plan(f.version(d.p1, "a"), d.p1.ID, "2024-03-01", nil), f.plan(f.version(d.p1, "c"), d.p1.ID, "2024-03-01", nil)
	_, err := f.ops().SetUpstreams(f.ctx, down.ID, []int64{up.ID}, time.Now())
	must(f.t, err)
	f.move(up.ID, meta.StateQueued)
	f.move(up.ID, meta.StateRunning)
	f.move(up.ID, meta.StateFailed, func(tp *meta.TransitionParams) { tp.ClearLease = true })
	got := f.summaryWhole(d)["2024-03-01/"]
	if got == nil || got.states[meta.StateUpstreamFailed] != 1 || got.states[meta.StateFailed] != 2 {
		f.t.Errorf("after a failure upstream: %+v", got)
	}
	f.checkSummary(d)
	f.move(up.ID, meta.StateQueued, func(tp *meta.TransitionParams) { tp.ResetRun = true })
	f.checkSummary(d)
}

// summaryManyDurations: the p95 of hundreds of durations spread over many
// orders of magnitude, several sharing a value, in every grouping and with
// some instances unfinished, against the p95 computed from the instances.
func summaryManyDurations(f *fixture) {
	d := f.summaryData()
	vs := []*meta.Version{f.version(d.p1, "a"), f.version(d.p1, "b"), f.version(d.p1, "c"), f.version(d.p2, "d")}
	ps := []int64{d.p1.ID, d.p1.ID, d.p1.ID, d.p2.ID}
	base := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	for i := range 300 {
		v, pid := vs[i%len(vs)], ps[i%len(vs)]
		day := []string{"2024-03-01", "2024-03-02", "2024-03-03"}[i%3]
		ref := f.plan(v, pid, day, func(pp *meta.PlanInstanceParams) {
			pp.PeriodStart = pp.PeriodStart.Add(time.Duration(1000+i) * time.Minute)
		})
		if i%17 == 0 {
			continue // waiting
		}
		f.move(ref.ID, meta.StateQueued)
		f.move(ref.ID, meta.StateRunning)
		if i%13 == 0 {
			continue // running
		}
		ms := []int64{0, 1, 7, 99, 100, 101, 999, 1000, 1234, 5000, 12345, 99999, 100000, 123456, 3600000}[i%15] + int64(i%4)*int64(math.Pow10(i%6))
		end := base.Add(time.Duration(ms) * time.Millisecond)
		st := []meta.State{meta.StateSuccess, meta.StateFailed, meta.StateKilled}[i%3]
		f.move(ref.ID, st, func(tp *meta.TransitionParams) {
			tp.StartedAt, tp.EndedAt, tp.ClearLease, tp.CPUSeconds = &base, &end, true, ptr(float64(i%7)/4)
		})
	}
	f.checkSummary(d)
}

// version is the current version of the task named name in p.
func (f *fixture) version(p *meta.Project, name string) *meta.Version {
	f.t.Helper()
	t, err := f.s.GetTask(f.ctx, p.ID, name)
	must(f.t, err)
	v, err := f.s.GetVersion(f.ctx, t.ID, t.CurrentVersion)
	must(f.t, err)
	return v
}

// checkSummary compares the store's summary of both projects from
// 2024-02-28 to 2024-03-03, in every grouping, filtered and with top
// groups, with one computed here from the instances.
func (f *fixture) checkSummary(d summaryData) {
	f.t.Helper()
	var all []*meta.Instance
	for _, p := range []*meta.Project{d.p1, d.p2} {
		ins, err := f.s.ListInstances(f.ctx, &meta.ListInstancesParams{ProjectID: p.ID, Limit: 10000})
		must(f.t, err)
		all = append(all, ins...)
	}
	dims := map[int64]meta.VersionDims{}
	for _, in := range all {
		if _, ok := dims[in.VersionID]; !ok {
			v, err := f.s.GetVersionByID(f.ctx, in.VersionID)
			must(f.t, err)
			dims[in.VersionID] = meta.VersionDims{Owner: v.Spec.Owner, Tier: string(cmp.Or(v.Spec.Tier, meta.TierNormal))}
		}
	}
	for _, g := range []meta.SummaryGroup{meta.GroupNone, meta.GroupOwner, meta.GroupTier, meta.GroupProject} {
		for _, top := range []int{0, 1, 2} {
			for _, filter := range [][2]string{{"", ""}, {"ann", ""}, {"", "normal"}} {
				p := &meta.SummaryParams{ProjectIDs: []int64{d.p1.ID, d.p2.ID}, BizdateFrom: "2024-02-28", BizdateTo: "2024-03-03",
					GroupBy: g, Top: top, Owner: filter[0], Tier: filter[1]}
				got, err := f.summaryStore().OpsSummary(f.ctx, p)
				must(f.t, err)
				want := referenceSummary(p, all, dims)
				if a, b := fmt.Sprint(rowsText(got)), fmt.Sprint(rowsText(want)); a != b {
					f.t.Errorf("summary %+v:\n got %s\nwant %s", *p, a, b)
				}
			}
		}
	}
}

func rowsText(rows []*meta.SummaryRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%+v", *r))
	}
	return out
}

// referenceSummary is meta.SummaryStore's contract computed plainly from
// the instances.
func referenceSummary(p *meta.SummaryParams, ins []*meta.Instance, dims map[int64]meta.VersionDims) []*meta.SummaryRow {
	type key struct {
		day, grp string
		other    bool
	}
	grpOf := func(in *meta.Instance) string {
		switch p.GroupBy {
		case meta.GroupOwner:
			return dims[in.VersionID].Owner
		case meta.GroupTier:
			return dims[in.VersionID].Tier
		case meta.GroupProject:
			return strconv.FormatInt(in.ProjectID, 10)
		}
		return ""
	}
	var sel []*meta.Instance
	totals := map[string]int{}
	for _, in := range ins {
		dm := dims[in.VersionID]
		if in.Bizdate < p.BizdateFrom || in.Bizdate > p.BizdateTo || (p.Owner != "" && dm.Owner != p.Owner) || (p.Tier != "" && dm.Tier != p.Tier) {
			continue
		}
		if p.ProjectIDs != nil && !slices.Contains(p.ProjectIDs, in.ProjectID) {
			continue
		}
		sel = append(sel, in)
		totals[grpOf(in)]++
	}
	top := map[string]bool{}
	if p.Top > 0 && p.GroupBy != meta.GroupNone {
		var names []string
		for g := range totals {
			names = append(names, g)
		}
		slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(totals[b], totals[a]), cmp.Compare(a, b)) })
		for _, g := range names[:min(p.Top, len(names))] {
			top[g] = true
		}
	}
	rows := map[key]map[meta.State]*meta.SummaryRow{}
	durs := map[key][]int64{}
	cpu := map[*meta.SummaryRow]int64{}
	for _, in := range sel {
		k := key{day: in.Bizdate, grp: grpOf(in)}
		if p.Top > 0 && p.GroupBy != meta.GroupNone && !top[k.grp] {
			k.grp, k.other = "", true
		}
		if rows[k] == nil {
			rows[k] = map[meta.State]*meta.SummaryRow{}
		}
		r := rows[k][in.State]
		if r == nil {
			r = &meta.SummaryRow{Bizdate: k.day, Group: k.grp, Others: k.other, State: in.State}
			rows[k][in.State] = r
		}
		r.Count++
		r.DurationMs += in.DurationMs
		cpu[r] += meta.CPUMicros(in.CPUSeconds)
		if in.Deadline != nil {
			r.WithDeadline++
			if in.State == meta.StateSuccess && in.EndedAt != nil && !in.EndedAt.After(*in.Deadline) {
				r.OnTime++
			}
		}
		if in.DurationMs > 0 {
			durs[k] = append(durs[k], in.DurationMs)
		}
	}
	var out []*meta.SummaryRow
	for k, states := range rows {
		ds := durs[k]
		slices.Sort(ds)
		var p95 int64
		if len(ds) > 0 {
			p95 = ds[(len(ds)*95+99)/100-1]
		}
		for _, r := range states {
			r.P95DurationMs = p95
			r.CPUSeconds = float64(cpu[r]) / 1e6
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *meta.SummaryRow) int {
		return cmp.Or(cmp.Compare(a.Bizdate, b.Bizdate), cmp.Compare(fmt.Sprint(a.Others), fmt.Sprint(b.Others)),
			cmp.Compare(a.Group, b.Group), cmp.Compare(a.State, b.State))
	})
	return out
}

// SameSummary reports how two summaries differ, if they do: every field
// equal, CPU-seconds within a microsecond per row (the rollups add integer
// microseconds, a statement over the instances adds floats).
func SameSummary(a, b []*meta.SummaryRow) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d rows, %d rows", len(a), len(b))
	}
	for i := range a {
		x, y := *a[i], *b[i]
		if math.Abs(x.CPUSeconds-y.CPUSeconds) > 1e-6*float64(max(1, x.Count)) {
			return fmt.Errorf("row %d: CPU %g, %g", i, x.CPUSeconds, y.CPUSeconds)
		}
		x.CPUSeconds, y.CPUSeconds = 0, 0
		if x != y {
			return fmt.Errorf("row %d: %+v, %+v", i, x, y)
		}
	}
	return nil
}
