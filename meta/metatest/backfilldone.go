package metatest

import (
	"time"

	"github.com/kilnhq/kiln/meta"
)

// backfillDoneCases pin meta.BackfillWatchStore: a backfill is finished
// once all its instances ended, and it is announced once.
var backfillDoneCases = []testCase{{"FinishedOnce", backfillFinishedOnce}}

func backfillFinishedOnce(f *fixture) {
	t, s := f.t, f.ops()
	bw, ok := f.s.(meta.BackfillWatchStore)
	if !ok {
		t.Fatalf("%T implements no meta.BackfillWatchStore", f.s)
	}
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	id, err := s.CreateBackfill(f.ctx, &meta.CreateBackfillParams{ProjectID: p.ID, Tasks: []string{"load"},
		From: "2024-01-01", To: "2024-01-02", Parallel: 2, CreatedBy: "metatest"})
	must(t, err)
	var refs []*meta.PlanRef
	for _, day := range []string{"2024-01-01", "2024-01-02"} {
		refs = append(refs, f.plan(v, p.ID, day, func(pp *meta.PlanInstanceParams) { pp.Trigger, pp.BackfillID = meta.TriggerBackfill, id }))
	}
	finished := func() []*meta.BackfillDone {
		done, err := bw.FinishedBackfills(f.ctx)
		must(t, err)
		return done
	}
	if got := finished(); len(got) != 0 {
		t.Fatalf("finished with instances waiting: %+v", got)
	}
	move := func(ref *meta.PlanRef, to meta.State) {
		_, err := f.s.TransitionInstance(f.ctx, &meta.TransitionParams{ID: ref.ID, To: to, ClearLease: true})
		must(t, err)
	}
	move(refs[0], meta.StateSuccess)
	if got := finished(); len(got) != 0 {
		t.Fatalf("finished with one instance waiting: %+v", got)
	}
	move(refs[1], meta.StateKilled)
	got := finished()
	if len(got) != 1 || got[0].ID != id || got[0].Succeeded != 1 || got[0].Failed != 1 || got[0].From != "2024-01-01" {
		t.Fatalf("finished %+v, want backfill %d with 1 succeeded and 1 not", got, id)
	}
	if ok, err := bw.MarkBackfillFinished(f.ctx, id, time.Now()); err != nil || !ok {
		t.Fatalf("mark: %v, %v", ok, err)
	}
	if ok, err := bw.MarkBackfillFinished(f.ctx, id, time.Now()); err != nil || ok {
		t.Fatalf("mark twice: %v, %v; want false", ok, err)
	}
	if got := finished(); len(got) != 0 {
		t.Fatalf("announced backfill listed again: %+v", got)
	}
}
