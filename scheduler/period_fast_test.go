package scheduler

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// slowPrevFire is prevFire as it was: a walk from the whole lookback.
func slowPrevFire(s *Schedule, t time.Time) time.Time {
	prev := time.Time{}
	for f := s.cronNext(t.Add(-lookback[s.Cycle])); f.Before(t); f = s.cronNext(f) {
		prev = f
	}
	if prev.IsZero() {
		return t.Add(-lookback[s.Cycle])
	}
	return prev
}

// cronNext is Next without the minute-set shortcut.
func (s *Schedule) cronNext(t time.Time) time.Time {
	c := *s
	c.minutes = 0
	return c.Next(t)
}

// The shortcuts planning takes for hourly and minute schedules (Next
// without robfig/cron's minute walk, prevFire searching near the fire,
// Periods reusing the previous fire) give exactly what the walks give,
// in zones with DST, half-hour and 45-minute offsets and around their
// changes.
func TestSchedule_FastPaths(t *testing.T) {
	t.Parallel()
	zones := []string{"UTC", "Asia/Shanghai", "America/New_York", "Europe/London", "Asia/Kolkata", "Asia/Kathmandu",
		"Australia/Lord_Howe", "America/St_Johns"}
	crons := []string{"0 * * * *", "5 * * * *", "59 * * * *", "*/15 * * * *", "* * * * *", "7,37 * * * *",
		"0 */2 * * *", "30 8-18 * * *", "0 * * * 1", "30 2 * * *", "0 0 * * *", "0 3 * * 1", "0 3 1 * *"}
	rng := rand.New(rand.NewPCG(1, 2))
	// Around the 2024 changes of New York, London, Lord Howe and St John's,
	// and at random through the year.
	var starts []time.Time
	for _, d := range []string{"2024-03-10T06:00:00Z", "2024-11-03T05:00:00Z", "2024-03-31T00:30:00Z",
		"2024-10-27T00:30:00Z", "2024-04-06T15:00:00Z", "2024-10-05T15:30:00Z", "2024-03-10T05:30:00Z"} {
		c, _ := time.Parse(time.RFC3339, d)
		for i := -50; i < 50; i++ {
			starts = append(starts, c.Add(time.Duration(i)*13*time.Minute+time.Duration(rng.IntN(60))*time.Second))
		}
	}
	for range 100 {
		starts = append(starts, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(366*24*time.Hour)))))
	}
	for _, z := range zones {
		for _, cr := range crons {
			s := mustSched(t, cr, z)
			for i, at := range starts {
				if got, want := s.Next(at), s.cronNext(at); !got.Equal(want) {
					t.Fatalf("%s in %s: Next(%s) = %s, robfig/cron says %s", cr, z, at, got, want)
				}
				if i%5 != 0 {
					continue
				}
				if got, want := s.prevFire(at), slowPrevFire(s, at); !got.Equal(want) {
					t.Fatalf("%s in %s: prevFire(%s) = %s, the walk says %s", cr, z, at, got, want)
				}
			}
			from := starts[0]
			per := slices.Collect(s.Periods(from, from.Add(3*24*time.Hour)))
			for i, f := range s.Fires(from, from.Add(3*24*time.Hour)) {
				if want := s.PeriodOf(f); per[i] != want {
					t.Fatalf("%s in %s: Periods[%d] = %+v, PeriodOf says %+v", cr, z, i, per[i], want)
				}
			}
		}
	}
}
