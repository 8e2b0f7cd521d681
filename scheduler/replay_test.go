package scheduler

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/metatest"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
)

// replayTx runs each transaction body twice, the first time rolled back:
// what the Postgres store does with a deadlock victim. A body must not
// carry anything over from a rolled-back attempt.
type replayTx struct{ *sqlitemeta.Store }

func (r replayTx) InTx(ctx context.Context, fn func(tx meta.Store) error) error {
	return metatest.Replay(ctx, r.Store.InTx, fn)
}

func TestPlanAndBackfill_SameResultWhenATransactionRunsAgain(t *testing.T) {
	t.Parallel()
	specs := []meta.TaskSpec{
		{Name: "t0", Schedule: meta.Schedule{Cron: "0 * * * *"}},
		{Name: "d", Schedule: meta.Schedule{Cron: "0 2 * * *"}, Upstreams: []string{"t0"}},
	}
	plain, replayed := setup(t, specs...), setup(t, specs...)
	replayed.pl = NewPlanner(replayTx{replayed.store}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	replayed.pl.Now = plain.pl.Now
	ctx := context.Background()
	want, err := plain.pl.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := replayed.pl.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Tasks != want.Tasks || got.Created != want.Created || got.Instances != want.Instances {
		t.Fatalf("plan replayed %+v, once %+v", got, want)
	}
	req := func(f *fixture) *BackfillRequest {
		return &BackfillRequest{Project: f.proj, Tasks: []string{"t0", "d"}, From: "2024-01-10", To: "2024-01-11", Parallel: 1}
	}
	wb, err := plain.pl.Backfill(ctx, req(plain))
	if err != nil {
		t.Fatal(err)
	}
	gb, err := replayed.pl.Backfill(ctx, req(replayed))
	if err != nil {
		t.Fatal(err)
	}
	if gb.Count != wb.Count || len(gb.Instances) != len(wb.Instances) || gb.Count != 50 {
		t.Fatalf("backfill replayed: %d (%d entries), once: %d (%d entries), want 50", gb.Count, len(gb.Instances), wb.Count, len(wb.Instances))
	}
	for i, e := range gb.Instances {
		if e.ID == 0 || e.Task != wb.Instances[i].Task || e.Bizdate != wb.Instances[i].Bizdate || e.Hour != wb.Instances[i].Hour {
			t.Fatalf("entry %d: %+v, once %+v", i, e, wb.Instances[i])
		}
	}
}
