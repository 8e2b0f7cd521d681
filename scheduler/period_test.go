package scheduler

import (
	"testing"
	"time"

	"github.com/kilnhq/kiln/meta"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string]Cycle{
		"*/5 * * * *": CycleMinute, "5 * * * *": CycleHourly, "0 */2 * * *": CycleHourly, "30 2 * * *": CycleDaily,
		"0 3 * * 1": CycleWeekly, "0 3 1 * *": CycleMonthly, "0 3 1 1 *": CycleOther, "@daily": CycleDaily,
	} {
		if got := Classify(expr); got != want {
			t.Errorf("Classify(%q) = %s, want %s", expr, got, want)
		}
	}
}

func mustSched(t *testing.T, cron, tz string) *Schedule {
	t.Helper()
	s, err := ParseSchedule(meta.Schedule{Cron: cron, Timezone: tz}, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Across both DST changes, a daily task gets exactly one instance per
// bizdate, T+1, and every period is one whole local day.
func TestSchedule_PeriodOf_DST(t *testing.T) {
	t.Parallel()
	for _, cron := range []string{"30 2 * * *", "30 1 * * *", "0 0 * * *"} {
		s := mustSched(t, cron, "America/New_York")
		from := time.Date(2024, 3, 5, 0, 0, 0, 0, s.Loc)
		to := time.Date(2024, 11, 10, 0, 0, 0, 0, s.Loc)
		seen := map[string]bool{}
		var prev *Period
		for _, f := range s.Fires(from, to) {
			p := s.PeriodOf(f)
			if seen[p.Bizdate] && prev != nil && prev.Bizdate != p.Bizdate {
				t.Fatalf("%s: bizdate %s planned twice", cron, p.Bizdate)
			}
			seen[p.Bizdate] = true
			if want := f.In(s.Loc).AddDate(0, 0, -1).Format(time.DateOnly); p.Bizdate != want && f.In(s.Loc).Hour() != 0 {
				t.Fatalf("%s: fire %s has bizdate %s, want %s", cron, f, p.Bizdate, want)
			}
			if p.Start.In(s.Loc).Hour() != 0 || p.End.In(s.Loc).Hour() != 0 {
				t.Fatalf("%s: period %s–%s is not whole local days", cron, p.Start, p.End)
			}
			if prev != nil && prev.Bizdate != p.Bizdate && !prev.End.Equal(p.Start) {
				t.Fatalf("%s: gap between %s and %s", cron, prev.Bizdate, p.Bizdate)
			}
			pp := p
			prev = &pp
		}
		for d := from.AddDate(0, 0, -1); d.Before(to.AddDate(0, 0, -2)); d = d.AddDate(0, 0, 1) {
			if !seen[d.Format(time.DateOnly)] {
				t.Fatalf("%s: no instance for bizdate %s", cron, d.Format(time.DateOnly))
			}
		}
	}
}

func TestSchedule_Overlapping(t *testing.T) {
	t.Parallel()
	hourly := mustSched(t, "5 * * * *", "Asia/Shanghai")
	daily := mustSched(t, "0 2 * * *", "Asia/Shanghai")
	day := daily.PeriodOf(time.Date(2024, 3, 2, 2, 0, 0, 0, daily.Loc))
	if day.Bizdate != "2024-03-01" {
		t.Fatalf("daily bizdate %s", day.Bizdate)
	}
	hours := hourly.Overlapping(day.Start, day.End)
	if len(hours) != 24 || hours[0].Hour != 0 || hours[23].Hour != 23 || hours[0].Bizdate != "2024-03-01" {
		t.Fatalf("a day overlaps %d hourly periods: %+v", len(hours), hours)
	}
	// An hourly period maps to the one day it falls in.
	days := daily.Overlapping(hours[5].Start, hours[5].End)
	if len(days) != 1 || days[0].Bizdate != "2024-03-01" {
		t.Fatalf("hour 5 overlaps %+v", days)
	}
	// The hourly instance for hour H runs at H+1:05.
	if got := hours[5].Fire.In(hourly.Loc); got.Hour() != 6 || got.Minute() != 5 {
		t.Fatalf("hour 5 fires at %s", got)
	}
	weekly := mustSched(t, "0 3 * * 1", "Asia/Shanghai")
	wk := weekly.PeriodOf(time.Date(2024, 3, 4, 3, 0, 0, 0, weekly.Loc))
	if wk.Bizdate != "2024-03-03" || len(daily.Overlapping(wk.Start, wk.End)) != 7 {
		t.Fatalf("weekly period %+v overlaps %d days", wk, len(daily.Overlapping(wk.Start, wk.End)))
	}
	if prev := daily.Previous(day); prev.Bizdate != "2024-02-29" {
		t.Fatalf("previous of 2024-03-01 is %s", prev.Bizdate)
	}
}
