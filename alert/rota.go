package alert

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// clockTime reads "HH:MM" as minutes after midnight.
func clockTime(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("want a time like 18:00, got %q", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// OnCall returns who is on call at t by the rota read in loc: shifts of
// Shift (default 24h) start at Handover (default 09:00) from Start, and
// people take them in turn.
func OnCall(r *meta.Rota, t time.Time, loc *time.Location) (string, error) {
	shifts, err := Shifts(r, t, loc, 0)
	if err != nil || len(shifts) == 0 {
		return "", err
	}
	return shifts[0].Person, nil
}

// Shift is one turn of a rota: Person is on call from From until To.
type Shift struct {
	Person string    `json:"person"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
}

// Shifts returns the shift in progress at t and the next hand-overs after
// it, by the rota read in loc; none when the rota has no people.
func Shifts(r *meta.Rota, t time.Time, loc *time.Location, next int) ([]Shift, error) {
	if r == nil || len(r.People) == 0 {
		return nil, nil
	}
	start, err := time.ParseInLocation(time.DateOnly, r.Start, loc)
	if err != nil {
		return nil, fmt.Errorf("rota start: want a date like 2024-03-01, got %q", r.Start)
	}
	if start.Year() < 1970 || start.Year() > 2999 {
		return nil, fmt.Errorf("rota start: want a date between the years 1970 and 2999, got %q", r.Start)
	}
	min, err := clockTime(cmp.Or(r.Handover, "09:00"))
	if err != nil {
		return nil, fmt.Errorf("rota handover: %w", err)
	}
	shift := cmp.Or(r.Shift.Std(), 24*time.Hour)
	if shift < time.Minute {
		return nil, fmt.Errorf("rota shift: want at least 1m, got %s", shift)
	}
	first := start.Add(time.Duration(min) * time.Minute)
	d := t.Sub(first)
	n := int(d / shift)
	if d < 0 && d%shift != 0 {
		n-- // floor, not truncation, before the first shift
	}
	out := make([]Shift, 0, next+1)
	for k := n; k <= n+next; k++ {
		i := ((k % len(r.People)) + len(r.People)) % len(r.People)
		from := first.Add(time.Duration(k) * shift)
		out = append(out, Shift{Person: r.People[i], From: from.In(loc), To: from.Add(shift).In(loc)})
	}
	return out, nil
}

// inQuietHours reports whether t (in loc) falls in "HH:MM-HH:MM", which
// may wrap past midnight.
func inQuietHours(spec string, t time.Time, loc *time.Location) (bool, error) {
	if spec == "" {
		return false, nil
	}
	from, to, ok := strings.Cut(spec, "-")
	if !ok {
		return false, fmt.Errorf("quiet_hours: want HH:MM-HH:MM, got %q", spec)
	}
	a, err := clockTime(strings.TrimSpace(from))
	if err != nil {
		return false, fmt.Errorf("quiet_hours: %w", err)
	}
	b, err := clockTime(strings.TrimSpace(to))
	if err != nil {
		return false, fmt.Errorf("quiet_hours: %w", err)
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	if a <= b {
		return m >= a && m < b, nil
	}
	return m >= a || m < b, nil
}

// ValidateConfig checks an alerts: section: channel kinds and their
// settings, policies naming known channels, times that parse.
func ValidateConfig(c *meta.AlertConfig) error {
	var errs []string
	names := map[string]bool{}
	for _, ch := range c.Channels {
		if ch.Name == "" {
			errs = append(errs, "a channel has no name")
		}
		if names[ch.Name] {
			errs = append(errs, fmt.Sprintf("channel %s is declared twice", ch.Name))
		}
		names[ch.Name] = true
		// URLs and secrets come from the server's environment: check the shape only.
		env := func(string) string { return "x" }
		if _, err := NewChannel(ch, env, nil, time.Now); err != nil {
			errs = append(errs, err.Error())
		}
	}
	known := func(what string, list []string) {
		for _, n := range list {
			if !names[n] {
				errs = append(errs, fmt.Sprintf("%s: unknown channel %s", what, n))
			}
		}
	}
	for i, p := range c.Policies {
		known(fmt.Sprintf("policy %s", cmp.Or(p.Name, fmt.Sprint(i+1))), p.Channels)
	}
	known("escalate", c.Escalate)
	known("default", c.Default)
	loc, err := time.LoadLocation(cmp.Or(c.Timezone, "UTC"))
	if err != nil {
		errs = append(errs, fmt.Sprintf("timezone: %v", err))
		loc = time.UTC
	}
	if _, err := inQuietHours(c.QuietHours, time.Now(), loc); err != nil {
		errs = append(errs, err.Error())
	}
	if c.Rota != nil {
		if len(c.Rota.People) == 0 {
			errs = append(errs, "rota: no people")
		}
		if _, err := OnCall(c.Rota, time.Now(), loc); err != nil {
			errs = append(errs, err.Error())
		}
		if c.Rota.Remind != "" {
			if _, err := clockTime(c.Rota.Remind); err != nil {
				errs = append(errs, "rota remind: "+err.Error())
			}
		}
		known("rota", c.Rota.Channels)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}
