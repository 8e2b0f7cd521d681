package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
)

func TestReportLate_OncePerInstance(t *testing.T) {
	f := setup(t, meta.TaskSpec{Name: "a", Script: "true", Schedule: meta.Schedule{Cron: "0 2 * * *"}, Deadline: meta.Duration(time.Hour)})
	ctx := context.Background()
	if _, err := f.pl.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	bus := events.New()
	sub := bus.Subscribe(10)
	defer sub.Close()
	// Two days later every planned instance is past its deadline.
	later := f.now.Add(72 * time.Hour)
	n, err := ReportLate(ctx, f.store, bus, later)
	if err != nil || n == 0 {
		t.Fatalf("reported %d, %v", n, err)
	}
	if e := <-sub.C; e.Kind != events.InstanceLate || e.Instance.TaskName != "a" {
		t.Fatalf("event %+v", e)
	}
	if again, err := ReportLate(ctx, f.store, bus, later); err != nil || again != 0 {
		t.Fatalf("reported again: %d, %v", again, err)
	}
	if early, err := ReportLate(ctx, f.store, bus, f.now); err != nil || early != 0 {
		t.Fatalf("reported before the deadline: %d, %v", early, err)
	}
}

func TestBackfill_GateReleasesInOrder(t *testing.T) {
	f := setup(t, meta.TaskSpec{Name: "a", Script: "true", Schedule: meta.Schedule{Cron: "0 2 * * *"}},
		meta.TaskSpec{Name: "b", Script: "true", Schedule: meta.Schedule{Cron: "0 2 * * *"}, Upstreams: []string{"a"}})
	ctx := context.Background()
	res, err := f.pl.Backfill(ctx, &BackfillRequest{Project: f.proj, Tasks: []string{"a"}, From: "2024-01-01", To: "2024-01-04",
		Downstream: true, Parallel: 2, Order: "desc"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count != 8 || res.Periods != 4 || res.Instances[0].Bizdate != "2024-01-04" {
		t.Fatalf("backfill %+v", res)
	}
	queued := func() map[string]int {
		ins, err := f.store.ListInstances(ctx, &meta.ListInstancesParams{ProjectID: f.proj.ID, States: []meta.State{meta.StateQueued}, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, i := range ins {
			m[i.Bizdate]++
		}
		return m
	}
	if q := queued(); len(q) != 0 {
		t.Fatalf("queued before the gate ran: %v", q)
	}
	if n, err := ReleaseBackfills(ctx, f.store, time.Now().UTC()); err != nil || n != 2 {
		t.Fatalf("released %d, %v", n, err)
	}
	if q := queued(); len(q) != 2 || q["2024-01-04"] != 1 || q["2024-01-03"] != 1 {
		t.Fatalf("queued after the gate: %v", q)
	}
	// Nothing more while two periods are in flight.
	if n, _ := ReleaseBackfills(ctx, f.store, time.Now().UTC()); n != 0 {
		t.Fatalf("released %d more with 2 in flight", n)
	}
}

func TestReportFinishedBackfills_Once(t *testing.T) {
	f := setup(t, meta.TaskSpec{Name: "a", Script: "true", Schedule: meta.Schedule{Cron: "0 2 * * *"}})
	ctx := context.Background()
	if _, err := f.pl.Backfill(ctx, &BackfillRequest{Project: f.proj, Tasks: []string{"a"}, From: "2024-01-01", To: "2024-01-02", Parallel: 2}); err != nil {
		t.Fatal(err)
	}
	bus := events.New()
	sub := bus.Subscribe(8)
	defer sub.Close()
	if n, err := ReportFinishedBackfills(ctx, f.store, bus, time.Now()); err != nil || n != 0 {
		t.Fatalf("reported %d before anything ran, %v", n, err)
	}
	ins := f.instances(t, "a")
	if len(ins) != 2 {
		t.Fatalf("%d instances", len(ins))
	}
	mustMove(t, f.store, ins[0].ID, meta.StateSuccess)
	if n, _ := ReportFinishedBackfills(ctx, f.store, bus, time.Now()); n != 0 {
		t.Fatal("reported with one instance open")
	}
	mustMove(t, f.store, ins[1].ID, meta.StateFailed)
	if n, err := ReportFinishedBackfills(ctx, f.store, bus, time.Now()); err != nil || n != 1 {
		t.Fatalf("reported %d, %v", n, err)
	}
	e := <-sub.C
	if e.Kind != events.BackfillFinished || e.Instance.Bizdate != "2024-01-01..2024-01-02" || e.Instance.State != meta.StateFailed ||
		!strings.Contains(e.Instance.Error, "1 instances succeeded, 1 did not") {
		t.Fatalf("event %+v", e)
	}
	if n, _ := ReportFinishedBackfills(ctx, f.store, bus, time.Now()); n != 0 {
		t.Fatal("reported twice")
	}
}
