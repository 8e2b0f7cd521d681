package params

import (
	"sort"
	"time"
)

// Date layouts of the built-in parameters.
const (
	layoutDate    = "2006-01-02"
	layoutNodash  = "20060102"
	layoutHour    = "15"
	layoutCyctime = "2006-01-02 15:04:05"
	layoutTS      = "2006-01-02T15:04:05"
)

// dateParam is a built-in whose value is a point in time printed in a layout.
// anchor derives the point from the run's cycle time (bizdate plus hour);
// arithmetic then moves that point.
type dateParam struct {
	layout string
	anchor func(cyc time.Time) time.Time
	// monthEnd keeps month and year arithmetic on the last day of the month,
	// so ${month_end-1m} is always the end of the previous month.
	monthEnd bool
}

func identity(t time.Time) time.Time { return t }

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func monthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func monthEnd(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC)
}

func weekStart(t time.Time) time.Time {
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	return midnight(t).AddDate(0, 0, -back)
}

func yearStart(t time.Time) time.Time {
	return time.Date(t.Year(), time.January, 1, 0, 0, 0, 0, time.UTC)
}

// dateParams are the built-ins that take arithmetic. bizdate and its
// spellings anchor on the cycle time, so ${bizdate-1h} at hour 0 is the
// previous day.
var dateParams = map[string]dateParam{
	"bizdate":        {layout: layoutDate, anchor: identity},
	"bizdate_nodash": {layout: layoutNodash, anchor: identity},
	"yyyymmdd":       {layout: layoutNodash, anchor: identity},
	"hour":           {layout: layoutHour, anchor: identity},
	"cyctime":        {layout: layoutCyctime, anchor: identity},
	"month_start":    {layout: layoutDate, anchor: monthStart},
	"month_end":      {layout: layoutDate, anchor: monthEnd, monthEnd: true},
	"week_start":     {layout: layoutDate, anchor: weekStart},
	"year_start":     {layout: layoutDate, anchor: yearStart},
}

// airflowParams are the {{ name }} spellings and the built-in each means.
var airflowParams = map[string]dateParam{
	"ds":        dateParams["bizdate"],
	"ds_nodash": dateParams["bizdate_nodash"],
	"ts":        {layout: layoutTS, anchor: identity},
}

// textParams are the built-ins that are names, not dates.
var textParams = map[string]func(c *Context) string{
	"project":  func(c *Context) string { return c.Project },
	"task":     func(c *Context) string { return c.Task },
	"data_dir": func(c *Context) string { return c.DataDir },
}

// Builtins returns the names of the built-in ${...} parameters, sorted. The
// Airflow spellings {{ ds }}, {{ ds_nodash }} and {{ ts }} are not among them.
func Builtins() []string {
	names := make([]string, 0, len(dateParams)+len(textParams))
	for n := range dateParams {
		names = append(names, n)
	}
	for n := range textParams {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// IsBuiltin reports whether name is a built-in ${...} parameter.
func IsBuiltin(name string) bool {
	_, date := dateParams[name]
	_, text := textParams[name]
	return date || text
}

// cycleTime is the run's bizdate at its hour, in UTC so that arithmetic never
// meets a daylight-saving gap.
func cycleTime(c *Context) time.Time {
	y, m, d := c.Bizdate.Date()
	return time.Date(y, m, d, c.Hour, 0, 0, 0, time.UTC)
}

// value computes a date parameter, moved by the reference's arithmetic.
func (p dateParam) value(cyc time.Time, r *ref) string {
	t := p.anchor(cyc)
	n := r.sign * r.amount
	switch r.unit {
	case 'h':
		t = t.Add(time.Duration(n) * time.Hour)
	case 'd':
		t = t.AddDate(0, 0, n)
	case 'w':
		t = t.AddDate(0, 0, 7*n)
	case 'm':
		t = p.addMonths(t, n)
	case 'y':
		t = p.addMonths(t, 12*n)
	}
	return t.Format(p.layout)
}

// addMonths moves t by n months, clamping the day to the target month's last
// day (2024-01-31 + 1m = 2024-02-29); month_end stays on the last day.
func (p dateParam) addMonths(t time.Time, n int) time.Time {
	first := time.Date(t.Year(), t.Month()+time.Month(n), 1, t.Hour(), 0, 0, 0, time.UTC)
	last := monthEnd(first).Day()
	day := min(t.Day(), last)
	if p.monthEnd {
		day = last
	}
	return time.Date(first.Year(), first.Month(), day, t.Hour(), 0, 0, 0, time.UTC)
}
