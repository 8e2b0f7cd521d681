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
	if r == nil || len(r.People) == 0 {
		return "", nil
	}
	start, err := time.ParseInLocation(time.DateOnly, r.Start, loc)
	if err != nil {
		return "", fmt.Errorf("rota start: want a date like 2024-03-01, got %q", r.Start)
	}
	min, err := clockTime(cmp.Or(r.Handover, "09:00"))
	if err != nil {
		return "", fmt.Errorf("rota handover: %w", err)
	}
	first := start.Add(time.Duration(min) * time.Minute)
	shift := cmp.Or(r.Shift.Std(), 24*time.Hour)
	n := int(t.Sub(first) / shift)
	if t.Before(first) {
		n = -1 - int(first.Sub(t)/shift)
	}
	i := ((n % len(r.People)) + len(r.People)) % len(r.People)
	return r.People[i], nil
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
