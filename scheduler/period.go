package scheduler

import (
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/kilnhq/kiln/meta"
)

// Cycle classifies a cron expression by how often it fires.
type Cycle string

// The cycles.
const (
	CycleMinute  Cycle = "minute"
	CycleHourly  Cycle = "hourly"
	CycleDaily   Cycle = "daily"
	CycleWeekly  Cycle = "weekly"
	CycleMonthly Cycle = "monthly"
	CycleOther   Cycle = "other" // any other cron: periods run from one fire's date to the next
)

// lookback is how far before a fire the previous fire can be.
var lookback = map[Cycle]time.Duration{
	CycleMinute: 25 * time.Hour, CycleHourly: 50 * time.Hour, CycleDaily: 50 * time.Hour,
	CycleWeekly: 8 * 24 * time.Hour, CycleMonthly: 32 * 24 * time.Hour, CycleOther: 367 * 24 * time.Hour,
}

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule is a task's cron read in its time zone.
type Schedule struct {
	Expr  string
	Loc   *time.Location
	Cycle Cycle
	cron  cron.Schedule
	// hour and minute of a daily schedule; -1 when not a plain "M H * * *".
	hour, minute int
	// minutes is the minute set (bit m: minute m) of a cron that fires at
	// those minutes of every hour of every day ("5 * * * *", "*/15 * * * *"),
	// whose next fire Next computes directly; 0 for any other cron.
	minutes uint64
}

// Period is one logical period of a task: the instance for it runs at Fire.
// Day-level cycles (daily and longer) cover whole local days, from the date
// of the previous fire to the date of this one, and their bizdate is the day
// before the fire (T+1). Sub-daily cycles cover [previous fire, fire)
// truncated to the hour (hourly) or minute.
type Period struct {
	Start, End time.Time
	Fire       time.Time
	Bizdate    string
	Hour       int
}

// ParseSchedule reads a task's schedule; tz is used when the schedule names
// no time zone, and UTC when neither does.
func ParseSchedule(s meta.Schedule, tz string) (*Schedule, error) {
	name := s.Timezone
	if name == "" {
		name = tz
	}
	loc := time.UTC
	if name != "" {
		l, err := time.LoadLocation(name)
		if err != nil {
			return nil, fmt.Errorf("time zone %q: %w", name, err)
		}
		loc = l
	}
	c, err := parser.Parse(s.Cron)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w", s.Cron, err)
	}
	out := &Schedule{Expr: s.Cron, Loc: loc, Cycle: Classify(s.Cron), cron: c, hour: -1, minutes: everyHour(c)}
	if f := strings.Fields(s.Cron); out.Cycle == CycleDaily && len(f) == 5 {
		out.minute, _ = strconv.Atoi(f[0])
		out.hour, _ = strconv.Atoi(f[1])
	}
	return out, nil
}

// Classify says which cycle a cron expression has.
func Classify(expr string) Cycle {
	switch strings.TrimSpace(expr) {
	case "@hourly":
		return CycleHourly
	case "@daily", "@midnight":
		return CycleDaily
	case "@weekly":
		return CycleWeekly
	case "@monthly":
		return CycleMonthly
	case "@yearly", "@annually":
		return CycleOther
	}
	f := strings.Fields(expr)
	if len(f) != 5 {
		return CycleOther
	}
	single := func(s string) bool { _, err := strconv.Atoi(s); return err == nil }
	any := func(s string) bool { return s == "*" || s == "?" }
	switch {
	case !single(f[0]):
		return CycleMinute
	case !single(f[1]):
		return CycleHourly
	case !any(f[3]):
		return CycleOther
	case any(f[2]) && any(f[4]):
		return CycleDaily
	case any(f[2]) && single(f[4]):
		return CycleWeekly
	case single(f[2]) && any(f[4]):
		return CycleMonthly
	}
	return CycleOther
}

// Next is the first fire strictly after t. Daily schedules fire once every
// local day even across DST: robfig/cron skips a day whose time does not
// exist (02:30 on a spring-forward day), which would lose that bizdate, so
// a daily fire is the day's hour and minute as time.Date normalises them
// (03:30 then), and an ambiguous time (fall back) fires once, the first time.
func (s *Schedule) Next(t time.Time) time.Time {
	if s.minutes != 0 {
		if f, ok := s.nextMinute(t.In(s.Loc)); ok {
			return f
		}
	}
	if s.Cycle != CycleDaily || s.hour < 0 {
		return s.cron.Next(t.In(s.Loc))
	}
	l := t.In(s.Loc)
	for d := 0; d < 3; d++ {
		f := time.Date(l.Year(), l.Month(), l.Day()+d, s.hour, s.minute, 0, 0, s.Loc)
		if f.After(t) {
			return f
		}
	}
	return s.cron.Next(l)
}

// everyHour is the minute set of c when c fires at second 0 of those
// minutes of every hour of every day, else 0.
func everyHour(c cron.Schedule) uint64 {
	const (
		hours  = 1<<24 - 1
		days   = (1<<32 - 1) &^ 1 // 1..31
		months = (1<<13 - 1) &^ 1 // 1..12
		wdays  = 1<<7 - 1
		star   = 1 << 63
	)
	sp, ok := c.(*cron.SpecSchedule)
	if !ok || sp.Second&^star != 1 || sp.Hour&hours != hours || sp.Dom&days != days || sp.Month&months != months ||
		sp.Dow&wdays != wdays {
		return 0
	}
	return sp.Minute & (1<<60 - 1)
}

// nextMinute is the cron's next fire after t (in s.Loc) for a schedule
// with a minute set: what robfig/cron's Next returns, the first whole
// minute from the next second on whose local minute is in the set, but
// without its walk of up to 60 one-minute steps (each a time zone
// lookup), which was most of planning hourly tasks. ok is false, and the
// caller walks, when the zone's offset is not whole minutes or changes
// before the fire.
func (s *Schedule) nextMinute(t time.Time) (time.Time, bool) {
	u := t.Add(time.Second - time.Duration(t.Nanosecond())) // robfig's start: the next second
	c := u.Truncate(time.Minute)
	if c.Before(u) {
		c = c.Add(time.Minute)
	}
	if _, off := c.Zone(); off%60 != 0 {
		return time.Time{}, false
	}
	m := c.Minute()
	d := 0
	for s.minutes&(1<<uint((m+d)%60)) == 0 {
		d++
	}
	f := c.Add(time.Duration(d) * time.Minute)
	if _, end := c.ZoneBounds(); !end.IsZero() && !f.Before(end) {
		return time.Time{}, false // the offset changes on the way: local minutes skip or repeat
	}
	return f, true
}

// Fires lists the fire times in [from, to). The cron library answers the
// zero time when it finds no fire within five years (a leap day in some
// zones, a date no month has): that ends every walk here.
func (s *Schedule) Fires(from, to time.Time) []time.Time {
	var out []time.Time
	for t := s.Next(from.Add(-time.Nanosecond)); !t.IsZero() && t.Before(to); t = s.Next(t) {
		out = append(out, t)
	}
	return out
}

// Periods yields the periods of the fires in [from, to), as PeriodOf each
// fire would, but without searching for each fire's previous one: it is
// the fire before it in the walk.
func (s *Schedule) Periods(from, to time.Time) iter.Seq[Period] {
	return func(yield func(Period) bool) {
		var prev time.Time
		for t := s.Next(from.Add(-time.Nanosecond)); !t.IsZero() && t.Before(to); prev, t = t, s.Next(t) {
			if !yield(s.periodOf(t, prev)) {
				return
			}
		}
	}
}

// firstSearch is how far before a fire prevFire looks first; it doubles the
// distance up to the cycle's lookback while it finds no fire.
var firstSearch = map[Cycle]time.Duration{
	CycleMinute: 2 * time.Minute, CycleHourly: 2 * time.Hour, CycleDaily: 26 * time.Hour,
}

// prevFire is the last fire before t within the cycle's lookback, else t
// less the lookback. Walking forward from t less the whole lookback cost
// 50 calls of Next for an hourly schedule (and up to 60 minute steps in
// each): most of a plan's time. The search starts near t instead and
// widens: the last fire in (t-w, t), when there is one, is the last in
// (t-lookback, t) for any w ≤ lookback, so the answer is the same.
func (s *Schedule) prevFire(t time.Time) time.Time {
	lb := lookback[s.Cycle]
	w := firstSearch[s.Cycle]
	if w == 0 || w > lb || s.zoneChangeBefore(t, lb) {
		// Across a change of the zone's offset the cron library's walk
		// depends on where it starts (Lord_Howe, Chatham, Beirut…): walk
		// the whole lookback, as PeriodOf always did.
		w = lb
	}
	for {
		prev := time.Time{}
		for f := s.Next(t.Add(-w)); !f.IsZero() && f.Before(t); f = s.Next(f) {
			prev = f
		}
		if !prev.IsZero() {
			return prev
		}
		if w == lb { // no fire within the lookback: take one period's length
			return t.Add(-lb)
		}
		w = min(2*w, lb)
	}
}

// zoneChangeBefore tells whether the schedule's zone changes its offset in
// (t-d, t].
func (s *Schedule) zoneChangeBefore(t time.Time, d time.Duration) bool {
	start, _ := t.In(s.Loc).ZoneBounds()
	return !start.IsZero() && start.After(t.Add(-d))
}

// prevOf is prevFire(fire) when prev, if not zero, is the fire before fire
// (Next(prev) == fire): no search is needed then.
func (s *Schedule) prevOf(fire, prev time.Time) time.Time {
	if prev.IsZero() || s.zoneChangeBefore(fire, lookback[s.Cycle]) {
		return s.prevFire(fire)
	}
	if lb := lookback[s.Cycle]; prev.Before(fire.Add(-lb)) {
		return fire.Add(-lb)
	}
	return prev
}

func midnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// PeriodOf is the period whose instance runs at fire.
func (s *Schedule) PeriodOf(fire time.Time) Period { return s.periodOf(fire, time.Time{}) }

// periodOf is PeriodOf; prev, when not zero, is the fire before fire.
func (s *Schedule) periodOf(fire, prev time.Time) Period {
	fire = fire.In(s.Loc)
	p := Period{Fire: fire}
	switch s.Cycle {
	case CycleMinute, CycleHourly:
		unit := time.Minute
		if s.Cycle == CycleHourly {
			unit = time.Hour
		}
		// Truncate in absolute time: every zone Kiln meets has whole-hour
		// or half-hour offsets, so truncating to minutes is exact, and to
		// hours exact for whole-hour zones.
		p.End = trunc(fire, unit, s.Loc)
		p.Start = trunc(s.prevOf(fire, prev), unit, s.Loc)
		if s.Cycle == CycleHourly && !p.Start.Before(p.End) {
			p.Start = p.End.Add(-time.Hour)
		}
		ls := p.Start.In(s.Loc)
		p.Bizdate, p.Hour = ls.Format(time.DateOnly), ls.Hour()
	default:
		p.End = midnight(fire, s.Loc)
		if s.Cycle == CycleDaily {
			p.Start = midnight(p.End.Add(-time.Hour), s.Loc) // the day before, 23 or 25 hours on DST days
		} else {
			p.Start = midnight(s.prevOf(fire, prev), s.Loc)
			if !p.Start.Before(p.End) {
				p.Start = midnight(p.End.Add(-time.Hour), s.Loc)
			}
		}
		p.Bizdate = p.End.Add(-time.Hour).In(s.Loc).Format(time.DateOnly)
	}
	return p
}

func trunc(t time.Time, unit time.Duration, loc *time.Location) time.Time {
	t = t.In(loc)
	if unit == time.Hour {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, loc)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, loc)
}

// Previous is the period before p.
func (s *Schedule) Previous(p Period) Period { return s.PeriodOf(s.prevFire(p.Fire)) }

// Overlapping lists the periods that overlap [start, end).
func (s *Schedule) Overlapping(start, end time.Time) []Period {
	var out []Period
	var prev time.Time
	for t, n := s.Next(start), 0; !t.IsZero() && n < 100000; prev, t, n = t, s.Next(t), n+1 {
		p := s.periodOf(t, prev)
		if !p.Start.Before(end) {
			break
		}
		if p.End.After(start) && (len(out) == 0 || !out[len(out)-1].Start.Equal(p.Start)) {
			out = append(out, p)
		}
	}
	return out
}

// ForBizdate lists the periods whose bizdate is date (YYYY-MM-DD).
func (s *Schedule) ForBizdate(date string) ([]Period, error) {
	d, err := time.ParseInLocation(time.DateOnly, date, s.Loc)
	if err != nil {
		return nil, err
	}
	var out []Period
	for _, p := range s.Overlapping(d, d.AddDate(0, 0, 1)) {
		if p.Bizdate == date {
			out = append(out, p)
		}
	}
	return out, nil
}
