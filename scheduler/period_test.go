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

// When the cron library finds no fire (it gives up after five years), the
// walks end instead of yielding zero-time periods for ever: a never-firing
// cron the scheduler was given anyway, and a leap-day cron in a zone where
// the library misses Feb 29 for years (America/Asuncion, 2022).
func TestSchedule_NoNextFireEndsTheWalks(t *testing.T) {
	t.Parallel()
	from := time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct{ cron, tz string }{{"0 0 30 2 *", "UTC"}, {"0 0 31 4 *", "Asia/Shanghai"}, {"0 0 29 2 *", "America/Asuncion"}} {
		s := mustSched(t, c.cron, c.tz)
		n := 0
		for range s.Periods(from, from.AddDate(0, 0, 2)) {
			if n++; n > 10 {
				t.Fatalf("%s in %s: Periods does not end", c.cron, c.tz)
			}
		}
		if fs := s.Fires(from, from.AddDate(0, 0, 2)); len(fs) != 0 {
			t.Errorf("%s in %s: fires %v", c.cron, c.tz, fs)
		}
		_ = s.Overlapping(from, from.AddDate(0, 0, 2))
		_ = s.PeriodOf(from) // returns
	}
}

// Across a change of the zone's offset the previous fire is found by the
// whole walk from the fire less the cycle's lookback, wherever planning
// started: a fire gets one period (Lord_Howe's 30-minute change).
func TestSchedule_PeriodsAcrossAnOffsetChangeMatchPeriodOf(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ cron, tz, from string }{
		{"0 0,12 * * *", "Australia/Lord_Howe", "2023-04-02T00:07:00+11:00"},
		{"0 0,12 * * *", "Australia/Lord_Howe", "2023-04-01T00:00:00+11:00"},
		{"* */3 * * *", "Australia/Lord_Howe", "2023-10-01T03:29:00+11:00"},
		{"23,54 */3 * * *", "Pacific/Chatham", "2021-09-26T03:00:00+13:45"},
	} {
		s := mustSched(t, c.cron, c.tz)
		from, err := time.Parse(time.RFC3339, c.from)
		if err != nil {
			t.Fatal(err)
		}
		walk := func(fire time.Time) Period {
			lb := lookback[s.Cycle]
			prev := fire.Add(-lb)
			for f := s.Next(fire.Add(-lb)); !f.IsZero() && f.Before(fire); f = s.Next(f) {
				prev = f
			}
			return s.periodOf(fire, prev)
		}
		for p := range s.Periods(from, from.Add(30*time.Hour)) {
			for _, want := range []Period{walk(p.Fire), s.PeriodOf(p.Fire)} {
				if !want.Start.Equal(p.Start) || want.Bizdate != p.Bizdate || want.Hour != p.Hour {
					t.Errorf("%s in %s from %s: fire %s has period %s %s h%d, the walk gives %s %s h%d", c.cron, c.tz, c.from,
						p.Fire, p.Start, p.Bizdate, p.Hour, want.Start, want.Bizdate, want.Hour)
				}
			}
		}
	}
}
