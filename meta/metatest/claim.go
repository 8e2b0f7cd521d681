package metatest

import (
	"reflect"
	"sync"
	"time"

	"github.com/kilnhq/kiln/meta"
)

func claimsOrder(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	prio := func(n int) func(*meta.CreateInstanceParams) {
		return func(c *meta.CreateInstanceParams) { c.State, c.Priority = meta.StateQueued, n }
	}
	low := f.instance(v, prio(0))
	late := f.instance(v) // waiting for now; queued after the others
	highA := f.instance(v, prio(5))
	mid := f.instance(v, prio(1))
	highB := f.instance(v, prio(5))
	waiting := f.instance(v, func(c *meta.CreateInstanceParams) { c.Priority = 99 })
	f.move(late.ID, meta.StateQueued)
	claim := func(limit int) []int64 {
		got, err := f.s.ClaimInstances(f.ctx, &meta.ClaimParams{Worker: "w", Limit: limit, LeaseUntil: time.Now().Add(time.Minute)})
		must(t, err)
		ids := []int64{}
		for _, in := range got {
			ids = append(ids, in.ID)
		}
		return ids
	}
	if got, want := claim(2), []int64{highA.ID, highB.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("first claim %v, want the priority-5 ones oldest first %v", got, want)
	}
	if got, want := claim(10), []int64{mid.ID, low.ID, late.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("second claim %v, want %v: priority, then the longest queued", got, want)
	}
	if got := claim(10); len(got) != 0 {
		t.Errorf("claimed %v from an empty queue", got)
	}
	if w, err := f.s.GetInstance(f.ctx, waiting.ID); err != nil || w.State != meta.StateWaiting {
		t.Errorf("a waiting instance was claimed: %+v (%v)", w, err)
	}
}

func claimsSetsRun(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	in := f.instance(v, queued)
	now := time.Date(2024, 5, 6, 7, 8, 9, 987654321, time.UTC)
	lease := now.Add(30 * time.Second)
	got, err := f.s.ClaimInstances(f.ctx, &meta.ClaimParams{Worker: "host-1:42", Limit: 3, LeaseUntil: lease, Now: now})
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("claimed %d instances, want 1", len(got))
	}
	c := got[0]
	if c.ID != in.ID || c.State != meta.StateRunning || c.Worker != "host-1:42" || c.Attempt != 1 || c.EndedAt != nil || c.TaskName != "load" {
		t.Errorf("claimed %+v", c)
	}
	wantTime(t, "started_at", c.StartedAt, &now)
	wantTime(t, "lease_until", c.LeaseUntil, &lease)
	if read, err := f.s.GetInstance(f.ctx, in.ID); err != nil || !reflect.DeepEqual(read, c) {
		t.Errorf("read back %+v (%v), want %+v", read, err, c)
	}
	as, err := f.s.ListAttempts(f.ctx, in.ID)
	must(t, err)
	if len(as) != 1 || as[0].Attempt != 1 || as[0].State != meta.StateRunning || as[0].Worker != "host-1:42" || !as[0].StartedAt.Equal(*c.StartedAt) {
		t.Errorf("attempts %+v, want one running for host-1:42", as)
	}
}

func claimsArguments(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	f.instance(v, queued)
	got, err := f.s.ClaimInstances(f.ctx, &meta.ClaimParams{Worker: "w", Limit: 0, LeaseUntil: time.Now()})
	must(t, err)
	if len(got) != 0 {
		t.Errorf("a zero limit claimed %d", len(got))
	}
	_, err = f.s.ClaimInstances(f.ctx, &meta.ClaimParams{Limit: 1, LeaseUntil: time.Now()})
	wantFail(t, err, "claim without a worker")
	_, err = f.s.ClaimInstances(f.ctx, &meta.ClaimParams{Worker: "w", Limit: 1})
	wantFail(t, err, "claim without a lease")
}

// claimsConcurrent has 8 workers drain 200 queued instances at once; each
// instance must be claimed exactly once.
func claimsConcurrent(f *fixture) {
	t := f.t
	const instances, workers = 200, 8
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	for range instances {
		f.instance(v, queued)
	}
	var mu sync.Mutex
	claimedBy := map[int64][]string{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		name := string(rune('a' + w))
		wg.Go(func() {
			for {
				got, err := f.s.ClaimInstances(f.ctx, &meta.ClaimParams{Worker: name, Limit: 1 + w%4, LeaseUntil: time.Now().Add(time.Minute)})
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, in := range got {
					claimedBy[in.ID] = append(claimedBy[in.ID], name)
					if in.Worker != name || in.State != meta.StateRunning {
						t.Errorf("worker %s got %+v", name, in)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("claim: %v", err)
	}
	if len(claimedBy) != instances {
		t.Errorf("%d instances claimed, want %d", len(claimedBy), instances)
	}
	for id, by := range claimedBy {
		if len(by) != 1 {
			t.Errorf("instance %d claimed by %v", id, by)
		}
	}
	ins, err := f.s.ListInstances(f.ctx, &meta.ListInstancesParams{States: []meta.State{meta.StateRunning}, Limit: 1000})
	must(t, err)
	for _, in := range ins {
		if in.Attempt != 1 || len(claimedBy[in.ID]) != 1 || in.Worker != claimedBy[in.ID][0] {
			t.Errorf("instance %+v after the race, claimed by %v", in, claimedBy[in.ID])
		}
	}
	if len(ins) != instances {
		t.Errorf("%d running, want %d", len(ins), instances)
	}
}

func leasesRenew(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	lease := time.Now().Add(time.Minute)
	a1 := f.claimNew(v, "a", lease)
	a2 := f.claimNew(v, "a", lease)
	b1 := f.claimNew(v, "b", lease)
	until := time.Now().Add(time.Hour)
	n, err := f.s.RenewLeases(f.ctx, "a", []int64{a1.ID, a2.ID, b1.ID, 9999}, until)
	must(t, err)
	if n != 2 {
		t.Errorf("a renewed %d, want its own 2", n)
	}
	for id, want := range map[int64]time.Time{a1.ID: until, a2.ID: until, b1.ID: *b1.LeaseUntil} {
		in, err := f.s.GetInstance(f.ctx, id)
		must(t, err)
		wantTime(t, "lease_until", in.LeaseUntil, &want)
	}
	f.move(a1.ID, meta.StateSuccess, func(p *meta.TransitionParams) { p.ClearLease = true })
	f.move(a2.ID, meta.StateKilled) // still names worker a, but no longer running
	n, err = f.s.RenewLeases(f.ctx, "a", []int64{a1.ID, a2.ID}, until.Add(time.Hour))
	must(t, err)
	if n != 0 {
		t.Errorf("a renewed %d after its instances ended, want 0", n)
	}
	n, err = f.s.RenewLeases(f.ctx, "b", nil, until)
	must(t, err)
	if n != 0 {
		t.Errorf("renewing no ids renewed %d", n)
	}
}

func leasesExpired(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	t0 := time.Now().Truncate(time.Second)
	first := f.claimNew(v, "a", t0.Add(time.Minute))
	third := f.claimNew(v, "b", t0.Add(3*time.Minute))
	second := f.claimNew(v, "c", t0.Add(2*time.Minute))
	done := f.claimNew(v, "d", t0.Add(30*time.Second))
	f.move(done.ID, meta.StateSuccess) // lease kept, but not running
	f.instance(v, queued)
	cases := []struct {
		at   time.Time
		want []int64
	}{
		{t0, []int64{}},
		{t0.Add(time.Minute), []int64{}}, // a lease ending exactly now has not expired
		{t0.Add(150 * time.Second), []int64{first.ID, second.ID}},
		{t0.Add(time.Hour), []int64{first.ID, second.ID, third.ID}},
	}
	for _, c := range cases {
		ins, err := f.s.ExpiredLeases(f.ctx, c.at)
		must(t, err)
		got := []int64{}
		for _, in := range ins {
			got = append(got, in.ID)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("expired at %v: %v, want %v (oldest lease first)", c.at.Sub(t0), got, c.want)
		}
	}
}
