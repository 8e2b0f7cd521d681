package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
	"github.com/kilnhq/kiln/scheduler"
)

// slots is the worker slots of the graph benchmarks (the 8).
const slots = 8

func benchGraph(bin, dagu, which string) error {
	if which == "runs" {
		const n = 50
		d, err := runsKiln(bin, n, slots)
		if err != nil {
			return err
		}
		rate := float64(n) / d.Seconds()
		fmt.Printf("%-28s kiln %8.1f runs/s (%d runs in %.2f s)%s\n", "50 runs back to back", rate, n, d.Seconds(), daguSide(dagu, which, rate))
		return nil
	}
	g := map[string]*graph{"chain": chain(100), "fanout": fanout(200), "dag": layered(10, 100)}[which]
	res, err := runKiln(bin, g, slots)
	if err != nil {
		return err
	}
	n := len(g.deps)
	switch which {
	case "chain":
		per := ms(res.total) / float64(n)
		fmt.Printf("%-28s kiln %8.2f ms/step (%.2f s)%s\n", g.name, per, res.total.Seconds(), daguSide(dagu, which, per))
	case "fanout":
		rate := float64(n) / res.total.Seconds()
		fmt.Printf("%-28s kiln %8.1f tasks/s (%.2f s)%s\n", g.name, rate, res.total.Seconds(), daguSide(dagu, which, rate))
	case "dag":
		fmt.Printf("%-28s kiln %8.2f s%s\n", g.name, res.total.Seconds(), daguSide(dagu, which, res.total.Seconds()))
	}
	fmt.Printf("%-28s upstream end → downstream start p50 %.1f ms, p99 %.1f ms (%d edges)\n", "",
		ms(percentile(res.latencies, 0.5)), ms(percentile(res.latencies, 0.99)), len(res.latencies))
	return nil
}

func benchStore() (*sqlitemeta.Store, *meta.Project, func(), error) {
	dir, err := os.MkdirTemp("", "kiln-bench-plan-")
	if err != nil {
		return nil, nil, nil, err
	}
	ctx := context.Background()
	st, err := sqlitemeta.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		return nil, nil, nil, err
	}
	proj, err := st.CreateProject(ctx, &meta.CreateProjectParams{Name: "b", Config: meta.Config{Defaults: meta.TaskDefaults{Timezone: "UTC"}}})
	if err != nil {
		return nil, nil, nil, err
	}
	return st, proj, func() { st.Close(); os.RemoveAll(dir) }, nil
}

// createTasks stores g's tasks as daily shell tasks.
func createTasks(st *sqlitemeta.Store, proj *meta.Project, g *graph) error {
	return st.InTx(context.Background(), func(tx meta.Store) error {
		for i, deps := range g.deps {
			spec := meta.TaskSpec{Name: g.taskName(i), Type: meta.TaskShell, Script: "true", Schedule: meta.Schedule{Cron: "0 2 * * *"}}
			for _, d := range deps {
				spec.Upstreams = append(spec.Upstreams, g.taskName(d))
			}
			if _, _, err := tx.CreateTask(context.Background(), &meta.CreateTaskParams{ProjectID: proj.ID, Spec: spec, Hash: spec.Name}); err != nil {
				return err
			}
		}
		return nil
	})
}

// measure runs fn and returns its time and the bytes it allocated.
func measure(fn func() error) (time.Duration, uint64, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	err := fn()
	d := time.Since(t0)
	runtime.ReadMemStats(&after)
	return d, after.TotalAlloc - before.TotalAlloc, err
}

// benchPlanner plans one day of an n-task layered DAG (daily tasks).
func benchPlanner(n int) error {
	st, _, done, err := benchStore()
	if err != nil {
		return err
	}
	defer done()
	proj, _ := st.GetProject(context.Background(), "b")
	if err := createTasks(st, proj, layered(n/100, 100)); err != nil {
		return err
	}
	pl := scheduler.NewPlanner(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	// 23:00: the window to the end of tomorrow holds one fire per task.
	pl.Now = func() time.Time { return time.Date(2024, 3, 1, 23, 0, 0, 0, time.UTC) }
	var res *scheduler.PlanResult
	d, alloc, err := measure(func() (err error) { res, err = pl.Plan(context.Background()); return err })
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("%-28s %.2f s, %d instances created, %.0f MiB allocated, heap %.0f MiB (aim < 2 s)\n",
		fmt.Sprintf("planner, %d-task DAG, 1 day", n), d.Seconds(), res.Created, float64(alloc)/(1<<20), float64(ms.HeapInuse)/(1<<20))
	again, _, err := measure(func() (err error) { res, err = pl.Plan(context.Background()); return err })
	if err != nil {
		return err
	}
	fmt.Printf("%-28s %.2f s when nothing changed (%d created)\n", "", again.Seconds(), res.Created)
	return nil
}

// benchBackfill plans a days-long backfill of n chained-by-layer tasks.
func benchBackfill(n, days int) error {
	st, proj, done, err := benchStore()
	if err != nil {
		return err
	}
	defer done()
	g := layered(n/20, 20)
	if err := createTasks(st, proj, g); err != nil {
		return err
	}
	names := make([]string, n)
	for i := range names {
		names[i] = g.taskName(i)
	}
	pl := scheduler.NewPlanner(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	from := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	var res *scheduler.BackfillResult
	d, alloc, err := measure(func() (err error) {
		res, err = pl.Backfill(context.Background(), &scheduler.BackfillRequest{Project: proj, Tasks: names,
			From: from.Format(time.DateOnly), To: from.AddDate(0, 0, days-1).Format(time.DateOnly), Parallel: 4})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("%-28s %.2f s, %d instances, %.0f MiB allocated (aim < 5 s)\n",
		fmt.Sprintf("backfill %d days × %d tasks", days, n), d.Seconds(), res.Count, float64(alloc)/(1<<20))
	return nil
}

func benchIdle(bin string) error {
	s, err := startServer(bin, 4)
	if err != nil {
		return err
	}
	defer s.stop()
	time.Sleep(3 * time.Second) // settle: the planner's first run, the GC
	fmt.Printf("%-28s %.1f MiB RSS\n", "idle server", s.rssMiB("VmRSS"))
	return nil
}

// daguSide runs the same benchmark on Dagu when a binary is given.
func daguSide(dagu, which string, kiln float64) string {
	if dagu == "" {
		return "   (Dagu: set DAGU_BIN)"
	}
	r, err := runDagu(dagu, which)
	if err != nil {
		return "   (Dagu: " + err.Error() + ")"
	}
	return fmt.Sprintf("   dagu %8.2f   kiln/dagu %.2f×\n%-28s dagu: %s", r.value, kiln/r.value, "", r.note)
}
