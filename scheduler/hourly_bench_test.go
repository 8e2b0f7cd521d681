package scheduler

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/pgmeta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
)

// BenchmarkPlanHourlyChain plans a project of hourly shell tasks in which
// task t_i waits for t_{i-1} of the same hour (the shape of the UI
// seed that took the planner 129 s): the day's plan, a replan with
// nothing changed, and a backfill of one date, on SQLite and Postgres.
// KILN_BENCH_HOURLY sets the number of hourly tasks (default 833; 8 daily
// tasks are added, the last waiting for the chain's last task). Figures
// are printed; run with -benchtime=1x:
//
//	go test ./scheduler -run XXX -bench PlanHourlyChain -benchtime=1x
func BenchmarkPlanHourlyChain(b *testing.B) {
	n := 833
	if s := os.Getenv("KILN_BENCH_HOURLY"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	stores := map[string]func(b *testing.B) meta.Store{
		"sqlite": func(b *testing.B) meta.Store {
			st, err := sqlitemeta.Open(context.Background(), filepath.Join(b.TempDir(), "meta.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(b *testing.B) meta.Store {
			st, err := pgmeta.Open(context.Background(), testenv.Postgres(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				benchHourlyChain(b, name, stores[name](b), n)
			}
		})
	}
}

func benchHourlyChain(b *testing.B, store string, st meta.Store, n int) {
	ctx := context.Background()
	proj, err := st.CreateProject(ctx, &meta.CreateProjectParams{Name: "h", Config: meta.Config{Defaults: meta.TaskDefaults{Timezone: "UTC"}}})
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	err = st.InTx(ctx, func(tx meta.Store) error {
		add := func(spec meta.TaskSpec) error {
			spec.Type, spec.Script = meta.TaskShell, "true"
			names = append(names, spec.Name)
			_, _, err := tx.CreateTask(ctx, &meta.CreateTaskParams{ProjectID: proj.ID, Spec: spec, Hash: spec.Name})
			return err
		}
		for i := range n {
			spec := meta.TaskSpec{Name: fmt.Sprintf("t%04d", i), Schedule: meta.Schedule{Cron: fmt.Sprintf("%d * * * *", i%60)}}
			if i > 0 {
				spec.Upstreams = []string{fmt.Sprintf("t%04d", i-1)}
			}
			if err := add(spec); err != nil {
				return err
			}
		}
		for i := range 8 {
			spec := meta.TaskSpec{Name: fmt.Sprintf("d%d", i), Schedule: meta.Schedule{Cron: "0 2 * * *"}}
			if i == 0 {
				spec.Upstreams = []string{fmt.Sprintf("t%04d", n-1)}
			} else {
				spec.Upstreams = []string{fmt.Sprintf("d%d", i-1)}
			}
			if err := add(spec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	pl := NewPlanner(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pl.Now = func() time.Time { return time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC) }
	label := fmt.Sprintf("%s, %d hourly tasks in a chain + 8 daily", store, n)
	t0 := time.Now()
	res, err := pl.Plan(ctx)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("%s: plan %.2f s, %d instances created\n", label, time.Since(t0).Seconds(), res.Created)
	t0 = time.Now()
	res, err = pl.Plan(ctx)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("%s: replan with nothing changed %.2f s, %d created, %d looked at\n", label, time.Since(t0).Seconds(), res.Created, res.Instances)
	t0 = time.Now()
	bf, err := pl.Backfill(ctx, &BackfillRequest{Project: proj, Tasks: names, From: "2024-01-10", To: "2024-01-10", Parallel: 1})
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("%s: backfill of one date %.2f s, %d instances\n", label, time.Since(t0).Seconds(), bf.Count)
}
