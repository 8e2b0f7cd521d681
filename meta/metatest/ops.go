package metatest

import (
	"slices"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// opsCases pin meta.OpsStore: the backfill gate's view and release, the
// deadline watcher's list and once-only mark, and the duration estimates.
var opsCases = []testCase{
	{"BackfillGate", opsBackfillGate}, {"Late", opsLate}, {"MeanDurations", opsMeanDurations},
}

// ops returns the store as the ops center sees it; every store has it.
func (f *fixture) ops() interface {
	meta.ScheduleStore
	meta.OpsStore
} {
	f.t.Helper()
	type both interface {
		meta.ScheduleStore
		meta.OpsStore
	}
	s, ok := f.s.(both)
	if !ok {
		f.t.Fatalf("%T implements no meta.ScheduleStore and meta.OpsStore", f.s)
	}
	return s
}

// plan plans a waiting instance of v for bizdate day.
func (f *fixture) plan(v *meta.Version, projectID int64, day string, mod func(*meta.PlanInstanceParams)) *meta.PlanRef {
	f.t.Helper()
	start, err := time.Parse(time.DateOnly, day)
	must(f.t, err)
	p := &meta.PlanInstanceParams{ProjectID: projectID, TaskID: v.TaskID, VersionID: v.ID, Bizdate: day,
		PeriodStart: start, PeriodEnd: start.AddDate(0, 0, 1), NotBefore: start.AddDate(0, 0, 1),
		Trigger: meta.TriggerSchedule, CreatedBy: "metatest"}
	if mod != nil {
		mod(p)
	}
	ref, created, err := f.ops().PlanInstance(f.ctx, p)
	must(f.t, err)
	if !created {
		f.t.Fatalf("instance %+v existed already", p)
	}
	return ref
}

func opsBackfillGate(f *fixture) {
	t, s := f.t, f.ops()
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	id, err := s.CreateBackfill(f.ctx, &meta.CreateBackfillParams{ProjectID: p.ID, Tasks: []string{"load"},
		From: "2024-01-01", To: "2024-01-02", Parallel: 1, CreatedBy: "metatest"})
	must(t, err)
	must(t, s.SetBackfillOrder(f.ctx, id, "desc"))
	refs := map[string]*meta.PlanRef{}
	for _, day := range []string{"2024-01-01", "2024-01-02"} {
		refs[day] = f.plan(v, p.ID, day, func(pp *meta.PlanInstanceParams) {
			pp.Trigger, pp.BackfillID, pp.NotBefore = meta.TriggerBackfill, id, meta.HeldUntil
		})
	}
	open, err := s.OpenBackfills(f.ctx)
	must(t, err)
	if len(open) != 1 || open[0].ID != id || open[0].Order != "desc" || open[0].Parallel != 1 ||
		!slices.Equal(open[0].Tasks, []string{"load"}) || open[0].From != "2024-01-01" || open[0].To != "2024-01-02" {
		t.Fatalf("open backfills %+v, want backfill %d in desc order", open, id)
	}
	periods := func() map[string][2]int {
		ps, err := s.BackfillPeriods(f.ctx, id)
		must(t, err)
		m := map[string][2]int{}
		for _, p := range ps {
			m[p.Bizdate] = [2]int{p.Held, p.Open}
		}
		return m
	}
	if got := periods(); got["2024-01-01"] != [2]int{1, 0} || got["2024-01-02"] != [2]int{1, 0} {
		t.Fatalf("periods before release (held, open) %v, want (1, 0) each", got)
	}
	now := time.Now().UTC()
	if n, err := s.ReleaseBackfillPeriod(f.ctx, id, "2024-01-02", now); err != nil || n != 1 {
		t.Fatalf("release: %d, %v; want 1", n, err)
	}
	in, err := f.s.GetInstance(f.ctx, refs["2024-01-02"].ID)
	must(t, err)
	if in.State != meta.StateQueued {
		t.Errorf("released instance with nothing unmet is %s, want queued", in.State)
	}
	if got := periods(); got["2024-01-02"] != [2]int{0, 1} || got["2024-01-01"] != [2]int{1, 0} {
		t.Errorf("periods after releasing one (held, open) %v", got)
	}
	if n, err := s.ReleaseBackfillPeriod(f.ctx, id, "2024-01-02", now); err != nil || n != 0 {
		t.Errorf("release again: %d, %v; want 0", n, err)
	}
	if n, err := s.ReleaseBackfillPeriod(f.ctx, id, "2024-01-01", now); err != nil || n != 1 {
		t.Fatalf("release the other: %d, %v; want 1", n, err)
	}
	if open, err := s.OpenBackfills(f.ctx); err != nil || len(open) != 0 {
		t.Errorf("open backfills with nothing held: %+v, %v", open, err)
	}
}

func opsLate(f *fixture) {
	t, s := f.t, f.ops()
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	now := time.Now().UTC().Truncate(time.Second)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	late := f.plan(v, p.ID, "2024-01-01", func(pp *meta.PlanInstanceParams) { pp.Deadline = &past })
	f.plan(v, p.ID, "2024-01-02", func(pp *meta.PlanInstanceParams) { pp.Deadline = &future })
	f.plan(v, p.ID, "2024-01-03", nil) // no deadline
	done := f.plan(v, p.ID, "2024-01-04", func(pp *meta.PlanInstanceParams) { pp.Deadline = &past })
	f.move(done.ID, meta.StateSkipped)
	got, err := s.LateInstances(f.ctx, now)
	must(t, err)
	if len(got) != 1 || got[0].ID != late.ID {
		t.Fatalf("late instances %+v, want only %d", got, late.ID)
	}
	wantTime(t, "deadline", got[0].Deadline, &past)
	if ok, err := s.MarkLate(f.ctx, late.ID, now); err != nil || !ok {
		t.Fatalf("mark late: %v, %v; want true", ok, err)
	}
	if ok, err := s.MarkLate(f.ctx, late.ID, now); err != nil || ok {
		t.Errorf("mark late again: %v, %v; want false (already reported)", ok, err)
	}
	if got, err := s.LateInstances(f.ctx, now.Add(2*time.Hour)); err != nil || len(got) != 1 || got[0].ID == late.ID {
		t.Errorf("late instances later: %+v, %v; want only the one due in an hour", got, err)
	}
}

func opsMeanDurations(f *fixture) {
	t, s := f.t, f.ops()
	p := f.project("edu")
	a, va := f.task(p.ID, "a")
	b, _ := f.task(p.ID, "b")
	for _, d := range []time.Duration{time.Second, 3 * time.Second} {
		in := f.claimNew(va, "w1", time.Now().Add(time.Minute))
		end := in.StartedAt.Add(d)
		f.move(in.ID, meta.StateSuccess, func(p *meta.TransitionParams) { p.EndedAt, p.ClearLease = &end, true })
	}
	failed := f.claimNew(va, "w1", time.Now().Add(time.Minute))
	end := failed.StartedAt.Add(time.Hour)
	f.move(failed.ID, meta.StateFailed, func(p *meta.TransitionParams) { p.EndedAt, p.ClearLease = &end, true })
	got, err := s.MeanDurations(f.ctx, []int64{a.ID, b.ID})
	must(t, err)
	if len(got) != 1 || got[a.ID] != 2000 {
		t.Errorf("mean durations %v, want {%d: 2000} (successes only; b never ran)", got, a.ID)
	}
}
