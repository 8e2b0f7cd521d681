package scheduler

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// upsOf returns the upstream instances of in as "task@period start
// (local)", after checking unmet counts them all (nothing
// has run).
func (f *fixture) upsOf(t *testing.T, in *meta.Instance) []string {
	t.Helper()
	ups, err := meta.ScheduleStore(f.store).Upstreams(context.Background(), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if in.Unmet != len(ups) {
		t.Fatalf("%s %s h%d: unmet %d with %d upstreams", in.TaskName, in.Bizdate, in.Hour, in.Unmet, len(ups))
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	out := make([]string, len(ups))
	for i, u := range ups {
		if u.BackfillID != in.BackfillID {
			t.Fatalf("%d's upstream %d is in backfill %d, not %d", in.ID, u.ID, u.BackfillID, in.BackfillID)
		}
		out[i] = u.TaskName + "@" + u.PeriodStart.In(loc).Format("01-02T15")
	}
	return out
}

func local(t *testing.T, p *time.Time) time.Time {
	t.Helper()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return p.In(loc)
}

// want compares upstream lists in any order.
func want(t *testing.T, in *meta.Instance, got []string, exp ...string) {
	t.Helper()
	slices.Sort(got)
	slices.Sort(exp)
	if len(got) != len(exp) {
		t.Fatalf("%s %s h%d: upstreams %v, want %v", in.TaskName, in.Bizdate, in.Hour, got, exp)
	}
	for i := range got {
		if got[i] != exp[i] {
			t.Fatalf("%s %s h%d: upstreams %v, want %v", in.TaskName, in.Bizdate, in.Hour, got, exp)
		}
	}
}

func hourKey(task string, at time.Time) string { return task + "@" + at.Format("01-02T15") }

// Hourly on hourly: the same hour (whatever the two crons' minutes), the
// previous hour with @previous, and both hours of a two-hourly period.
// Planned at 00:30 on 03-01 (Asia/Shanghai): the hours whose fires are
// still ahead up to the end of 03-02.
func TestPlanner_HourlyOnHourly(t *testing.T) {
	t.Parallel()
	f := setup(t,
		meta.TaskSpec{Name: "h1", Schedule: meta.Schedule{Cron: "5 * * * *"}},
		meta.TaskSpec{Name: "h2", Schedule: meta.Schedule{Cron: "50 * * * *"}, Upstreams: []string{"h1"}},
		meta.TaskSpec{Name: "h3", Schedule: meta.Schedule{Cron: "0 */2 * * *"}, Upstreams: []string{"h1"}},
		meta.TaskSpec{Name: "h4", Schedule: meta.Schedule{Cron: "20 * * * *"}, Upstreams: []string{"h1@previous"}},
		meta.TaskSpec{Name: "h5", Schedule: meta.Schedule{Cron: "0 * * * *"}, Upstreams: []string{"h2"}, DependsOnPast: true},
	)
	ctx := context.Background()
	if _, err := f.pl.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	for _, task := range []string{"h1", "h4", "h5"} {
		// Hours 0 of 03-01 to 22 of 03-02: hour 23 of 02-29 fired before
		// planning, hour 23 of 03-02 fires after the window.
		if n := len(f.instances(t, task)); n != 47 {
			t.Fatalf("%s has %d instances, want 47", task, n)
		}
	}
	for _, in := range f.instances(t, "h1") {
		want(t, in, f.upsOf(t, in))
	}
	h2 := f.instances(t, "h2")
	if len(h2) != 48 { // and hour 23 of 02-29, which fires at 00:50
		t.Fatalf("h2 has %d instances, want 48", len(h2))
	}
	for _, in := range h2 {
		if in.Bizdate == "2024-02-29" {
			want(t, in, f.upsOf(t, in)) // h1's hour 23 fired at 00:05, before planning: met
			continue
		}
		want(t, in, f.upsOf(t, in), hourKey("h1", local(t, in.PeriodStart)))
	}
	for _, in := range f.instances(t, "h4") {
		start := local(t, in.PeriodStart)
		if in.Bizdate == "2024-03-01" && in.Hour == 0 {
			want(t, in, f.upsOf(t, in)) // h1's hour 23 of 02-29 fired before planning: met
			continue
		}
		want(t, in, f.upsOf(t, in), hourKey("h1", start.Add(-time.Hour)))
	}
	for _, in := range f.instances(t, "h5") {
		start := local(t, in.PeriodStart)
		if in.Bizdate == "2024-03-01" && in.Hour == 0 {
			want(t, in, f.upsOf(t, in), hourKey("h2", start))
			continue
		}
		want(t, in, f.upsOf(t, in), hourKey("h2", start), hourKey("h5", start.Add(-time.Hour)))
	}
	h3 := f.instances(t, "h3")
	if len(h3) != 23 { // fires 02:00 on 03-01 to 22:00 on 03-02, each for the two hours before
		t.Fatalf("h3 has %d instances, want 23", len(h3))
	}
	for _, in := range h3 {
		start := local(t, in.PeriodStart)
		if local(t, in.PeriodEnd).Sub(start) != 2*time.Hour {
			t.Fatalf("h3 period %s–%s", start, local(t, in.PeriodEnd))
		}
		want(t, in, f.upsOf(t, in), hourKey("h1", start), hourKey("h1", start.Add(time.Hour)))
	}
}

// An hourly task on a daily one waits for the daily instance of its
// bizdate (which runs the next day); a daily task on an hourly one waits
// for the 24 hours of its bizdate, or, for a bizdate whose hours all fired
// before planning, for none.
func TestPlanner_DailyAndHourly(t *testing.T) {
	t.Parallel()
	f := setup(t,
		meta.TaskSpec{Name: "d", Schedule: meta.Schedule{Cron: "0 2 * * *"}},
		meta.TaskSpec{Name: "h", Schedule: meta.Schedule{Cron: "5 * * * *"}, Upstreams: []string{"d"}},
		meta.TaskSpec{Name: "e", Schedule: meta.Schedule{Cron: "0 3 * * *"}, Upstreams: []string{"h"}},
	)
	ctx := context.Background()
	if _, err := f.pl.Plan(ctx); err != nil {
		t.Fatal(err)
	}
	days := map[string]time.Time{}
	for _, in := range f.instances(t, "d") {
		days[in.Bizdate] = local(t, in.PeriodStart)
	}
	// 02-29 and 03-01 fire in the window; 03-02 (firing on 03-03) is
	// planned because hours of 03-02 wait for it.
	if len(days) != 3 || days["2024-03-02"].IsZero() {
		t.Fatalf("d's bizdates: %v", days)
	}
	hs := f.instances(t, "h")
	if len(hs) != 47 {
		t.Fatalf("h has %d instances, want 47", len(hs))
	}
	for _, in := range hs {
		want(t, in, f.upsOf(t, in), hourKey("d", days[in.Bizdate]))
	}
	es := f.instances(t, "e")
	if len(es) != 2 {
		t.Fatalf("e has %d instances, want 2 (02-29, 03-01)", len(es))
	}
	for _, in := range es {
		if in.Bizdate == "2024-02-29" {
			want(t, in, f.upsOf(t, in))
			continue
		}
		var exp []string
		for h := range 24 {
			exp = append(exp, hourKey("h", days["2024-03-01"].Add(time.Duration(h)*time.Hour)))
		}
		want(t, in, f.upsOf(t, in), exp...)
	}
	again, err := f.pl.Plan(ctx)
	if err != nil || again.Created != 0 {
		t.Fatalf("replan: %+v, %v", again, err)
	}
}

// A backfill of one date plans an hourly chain's 24 hours per task, each
// waiting for the same hour of its upstream in the same backfill, and a
// daily task after it waiting for all 24.
func TestBackfill_HourlyChain(t *testing.T) {
	t.Parallel()
	f := setup(t,
		meta.TaskSpec{Name: "t0", Schedule: meta.Schedule{Cron: "0 * * * *"}},
		meta.TaskSpec{Name: "t1", Schedule: meta.Schedule{Cron: "30 * * * *"}, Upstreams: []string{"t0"}},
		meta.TaskSpec{Name: "t2", Schedule: meta.Schedule{Cron: "45 * * * *"}, Upstreams: []string{"t1"}},
		meta.TaskSpec{Name: "d", Schedule: meta.Schedule{Cron: "0 2 * * *"}, Upstreams: []string{"t2"}},
	)
	ctx := context.Background()
	res, err := f.pl.Backfill(ctx, &BackfillRequest{Project: f.proj, Tasks: []string{"t0", "t1", "t2", "d"},
		From: "2024-01-10", To: "2024-01-10", Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count != 73 {
		t.Fatalf("backfill planned %d instances, want 73", res.Count)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := time.Date(2024, 1, 10, 0, 0, 0, 0, loc)
	for i, task := range []string{"t0", "t1", "t2"} {
		ins := f.instances(t, task)
		if len(ins) != 24 {
			t.Fatalf("%s has %d instances, want 24", task, len(ins))
		}
		hours := map[int]bool{}
		for _, in := range ins {
			if in.Bizdate != "2024-01-10" || in.BackfillID != res.ID || hours[in.Hour] {
				t.Fatalf("%s: %+v", task, in)
			}
			hours[in.Hour] = true
			start := local(t, in.PeriodStart)
			if !start.Equal(day.Add(time.Duration(in.Hour) * time.Hour)) {
				t.Fatalf("%s hour %d starts %s", task, in.Hour, start)
			}
			if i == 0 {
				want(t, in, f.upsOf(t, in))
			} else {
				want(t, in, f.upsOf(t, in), hourKey([]string{"t0", "t1"}[i-1], start))
			}
		}
	}
	ds := f.instances(t, "d")
	if len(ds) != 1 {
		t.Fatalf("d has %d instances", len(ds))
	}
	var exp []string
	for h := range 24 {
		exp = append(exp, hourKey("t2", day.Add(time.Duration(h)*time.Hour)))
	}
	want(t, ds[0], f.upsOf(t, ds[0]), exp...)
}
