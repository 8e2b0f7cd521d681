package scheduler

import (
	"fmt"
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
	out := &Schedule{Expr: s.Cron, Loc: loc, Cycle: Classify(s.Cron), cron: c, hour: -1}
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

// Fires lists the fire times in [from, to).
func (s *Schedule) Fires(from, to time.Time) []time.Time {
	var out []time.Time
	for t := s.Next(from.Add(-time.Nanosecond)); t.Before(to); t = s.Next(t) {
		out = append(out, t)
	}
	return out
}

// prevFire is the last fire before t.
func (s *Schedule) prevFire(t time.Time) time.Time {
	prev := time.Time{}
	for f := s.Next(t.Add(-lookback[s.Cycle])); f.Before(t); f = s.Next(f) {
		prev = f
	}
	if prev.IsZero() { // no fire within the lookback: take one period's length
		return t.Add(-lookback[s.Cycle])
	}
	return prev
}

func midnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// PeriodOf is the period whose instance runs at fire.
func (s *Schedule) PeriodOf(fire time.Time) Period {
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
		p.Start = trunc(s.prevFire(fire), unit, s.Loc)
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
			p.Start = midnight(s.prevFire(fire), s.Loc)
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
	for t, n := s.Next(start), 0; n < 100000; t, n = s.Next(t), n+1 {
		p := s.PeriodOf(t)
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
