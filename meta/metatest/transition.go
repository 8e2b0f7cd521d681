package metatest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kilnhq/kiln/meta"
)

func transitionsStateMachine(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	for _, from := range meta.AllStates {
		for _, to := range meta.AllStates {
			t.Run(fmt.Sprintf("%s_to_%s", from, to), func(t *testing.T) {
				f := f.with(t)
				in := f.instanceIn(v, from)
				got, err := f.s.TransitionInstance(f.ctx, &meta.TransitionParams{ID: in.ID, From: []meta.State{from}, To: to})
				if !meta.CanTransition(from, to) {
					wantErr(t, err, meta.ErrConflict, fmt.Sprint(in.ID))
					if now, err := f.s.GetInstance(f.ctx, in.ID); err != nil || now.State != from {
						t.Errorf("a refused move left the instance %+v (%v)", now, err)
					}
					return
				}
				must(t, err)
				if got.State != to {
					t.Errorf("moved to %s, want %s", got.State, to)
				}
			})
		}
	}
}

func transitionsFromCheck(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	in := f.instance(v)
	_, err := f.s.TransitionInstance(f.ctx, &meta.TransitionParams{ID: in.ID, From: []meta.State{meta.StateQueued, meta.StateRunning}, To: meta.StateKilled})
	wantErr(t, err, meta.ErrConflict, fmt.Sprint(in.ID), "waiting")
	since := tick()
	got := f.move(in.ID, meta.StateQueued, func(p *meta.TransitionParams) { p.From = []meta.State{meta.StateRunning, meta.StateWaiting} })
	if got.State != meta.StateQueued || got.QueuedAt == nil {
		t.Fatalf("moved to %+v, want queued with a queue time", got)
	}
	wantRecent(t, "queued_at", *got.QueuedAt, since)
	_, err = f.s.TransitionInstance(f.ctx, &meta.TransitionParams{ID: 9999, To: meta.StateQueued})
	wantErr(t, err, meta.ErrNotFound, "9999")
	_, err = f.s.TransitionInstance(f.ctx, &meta.TransitionParams{ID: in.ID, To: "exploded"})
	wantFail(t, err, "unknown state")
}

func transitionsSetsFields(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	start := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CST", 8*3600))
	end := start.Add(90*time.Second + 250*time.Millisecond)
	in := f.claimNew(v, "w1", time.Now().Add(time.Minute))
	got := f.move(in.ID, meta.StateSuccess, func(p *meta.TransitionParams) {
		p.From = []meta.State{meta.StateRunning}
		p.StartedAt, p.EndedAt = &start, &end
		p.RowsWritten, p.Rendered, p.Error, p.CPUSeconds = ptr[int64](42), ptr("INSERT ..."), ptr("warning: x"), ptr(1.25)
	})
	wantTime(t, "started_at", got.StartedAt, &start)
	wantTime(t, "ended_at", got.EndedAt, &end)
	if got.State != meta.StateSuccess || got.RowsWritten != 42 || got.Rendered != "INSERT ..." || got.Error != "warning: x" ||
		got.CPUSeconds != 1.25 || got.DurationMs != 90250 {
		t.Errorf("after success %+v", got)
	}
	if got.Worker != "w1" || got.LeaseUntil == nil {
		t.Errorf("without ClearLease the worker and lease went: %+v", got)
	}
	cleared := f.move(in.ID, meta.StateFailed, func(p *meta.TransitionParams) { p.ClearLease = true })
	if cleared.Worker != "" || cleared.LeaseUntil != nil || cleared.RowsWritten != 42 || cleared.DurationMs != 90250 {
		t.Errorf("ClearLease gave %+v, want no worker or lease and the results kept", cleared)
	}
	if again, err := f.s.GetInstance(f.ctx, in.ID); err != nil || !reflect.DeepEqual(again, cleared) {
		t.Errorf("read back %+v (%v), want %+v", again, err, cleared)
	}
}

func transitionsResetRun(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	in := f.claimNew(v, "w1", time.Now().Add(time.Minute))
	f.move(in.ID, meta.StateFailed, func(p *meta.TransitionParams) {
		p.EndedAt, p.RowsWritten, p.Error, p.ClearLease = ptr(time.Now()), ptr[int64](7), ptr("boom"), true
	})
	since := tick()
	got := f.move(in.ID, meta.StateQueued, func(p *meta.TransitionParams) { p.ResetRun = true })
	if got.StartedAt != nil || got.EndedAt != nil || got.RowsWritten != 0 || got.Error != "" || got.DurationMs != 0 {
		t.Errorf("after ResetRun %+v, want start, end, rows and error cleared", got)
	}
	if got.Attempt != 1 || got.QueuedAt == nil || got.QueuedAt.Before(since) {
		t.Errorf("after ResetRun attempt %d queued at %v, want attempt kept and queued again", got.Attempt, got.QueuedAt)
	}
}

// claimNew creates a queued instance of v and claims it for worker; it
// must be the only queued instance in the store.
func (f *fixture) claimNew(v *meta.Version, worker string, lease time.Time) *meta.Instance {
	f.t.Helper()
	return f.claimOnly(f.instance(v, queued).ID, worker, lease)
}

// claimOnly claims for worker and checks that it got instance id alone.
func (f *fixture) claimOnly(id int64, worker string, lease time.Time) *meta.Instance {
	f.t.Helper()
	got, err := f.s.ClaimInstances(f.ctx, &meta.ClaimParams{Worker: worker, Limit: 5, LeaseUntil: lease, Now: time.Now()})
	must(f.t, err)
	if len(got) != 1 || got[0].ID != id {
		f.t.Fatalf("claimed %+v, want instance %d alone", got, id)
	}
	return got[0]
}

func attemptsClaimAndFinish(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	in := f.claimNew(v, "w1", time.Now().Add(time.Minute))
	as, err := f.s.ListAttempts(f.ctx, in.ID)
	must(t, err)
	if len(as) != 1 || as[0].Attempt != 1 || as[0].State != meta.StateRunning || as[0].Worker != "w1" ||
		as[0].EndedAt != nil || !as[0].StartedAt.Equal(*in.StartedAt) {
		t.Fatalf("attempts after a claim %+v, want one running since %v", as, in.StartedAt)
	}
	end := time.Now().Add(time.Second)
	f.move(in.ID, meta.StateFailed, func(p *meta.TransitionParams) { p.EndedAt, p.Error, p.ClearLease = &end, ptr("boom"), true })
	f.move(in.ID, meta.StateQueued, func(p *meta.TransitionParams) { p.ResetRun = true })
	again := f.claimOnly(in.ID, "w2", time.Now().Add(time.Minute))
	if again.Attempt != 2 || again.Worker != "w2" || again.EndedAt != nil || again.Error != "" {
		t.Errorf("second claim %+v, want attempt 2 for w2 with the old end and error gone", again)
	}
	f.move(in.ID, meta.StateSuccess, func(p *meta.TransitionParams) { p.ClearLease = true })
	as, err = f.s.ListAttempts(f.ctx, in.ID)
	must(t, err)
	if len(as) != 2 {
		t.Fatalf("attempts %+v, want 2", as)
	}
	wantTime(t, "first attempt ended_at", as[0].EndedAt, &end)
	if as[0].State != meta.StateFailed || as[0].Error != "boom" || as[0].Worker != "w1" {
		t.Errorf("first attempt %+v, want failed with its error", as[0])
	}
	if as[1].Attempt != 2 || as[1].State != meta.StateSuccess || as[1].Worker != "w2" || as[1].EndedAt == nil || as[1].Error != "" {
		t.Errorf("second attempt %+v, want success by w2", as[1])
	}
}

func attemptsRetryFromRunning(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	in := f.claimNew(v, "w1", time.Now().Add(time.Minute))
	f.move(in.ID, meta.StateQueued, func(p *meta.TransitionParams) { p.Error, p.ClearLease = ptr("lease expired"), true })
	as, err := f.s.ListAttempts(f.ctx, in.ID)
	must(t, err)
	if len(as) != 1 || as[0].State != meta.StateQueued || as[0].EndedAt == nil || as[0].Error != "lease expired" {
		t.Errorf("attempts %+v, want the first ended as queued with its error", as)
	}
}

func attemptsRunWithoutClaim(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	since := tick()
	in := f.move(f.instance(v, queued).ID, meta.StateRunning)
	if in.Attempt != 1 || in.StartedAt == nil || in.StartedAt.Before(since) {
		t.Errorf("moved to running %+v, want attempt 1 started now", in)
	}
	as, err := f.s.ListAttempts(f.ctx, in.ID)
	must(t, err)
	if len(as) != 1 || as[0].Attempt != 1 || as[0].State != meta.StateRunning {
		t.Errorf("attempts %+v, want one running", as)
	}
}

func attemptsNone(f *fixture) {
	t := f.t
	as, err := f.s.ListAttempts(f.ctx, 9999)
	must(t, err)
	if len(as) != 0 {
		t.Errorf("attempts of a missing instance: %+v", as)
	}
}
