package quality

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// judge sets a measured rule's threshold and verdict.
func (c *Checker) judge(ctx context.Context, p *Period, j *job) {
	r, v := j.rule, *j.value
	j.res.Metric = j.value
	what := metricOf(r)
	if r.Column != "" {
		what += " of " + r.Column
	}
	switch r.Check {
	case meta.CheckInSet, meta.CheckRegex, meta.CheckRange, meta.CheckUnique, meta.CheckCompare:
		c.judgeZero(j, v)
	case meta.CheckCustomSQL:
		if r.Min == nil && r.Max == nil {
			c.judgeZero(j, v)
		} else {
			judgeBounds(j, "the query's value", v, r.Min, r.Max)
		}
	case meta.CheckRowCountChange:
		c.judgeChange(ctx, p, j, what, v)
	case meta.CheckSum, meta.CheckMean:
		if r.Min != nil || r.Max != nil {
			judgeBounds(j, what, v, r.Min, r.Max)
		}
		if r.MaxPct != nil && j.res.Verdict != meta.VerdictBreach {
			c.judgeChange(ctx, p, j, what, v)
		}
	case meta.CheckOutlier:
		c.judgeOutlier(ctx, p, j, what, v)
	case meta.CheckAnomaly:
		c.judgeAnomaly(ctx, p, j, what, v)
	default:
		judgeBounds(j, what, v, r.Min, r.Max)
	}
}

// judgeZero holds a count of offending rows (or keys, or a difference) to
// zero, or to max when the rule allows some.
func (c *Checker) judgeZero(j *job, v float64) {
	limit := 0.0
	if j.rule.Max != nil && j.rule.Check != meta.CheckRange {
		limit = *j.rule.Max
	}
	j.res.Threshold = fmt.Sprintf("<= %g", limit)
	noun := map[meta.QualityCheck]string{
		meta.CheckInSet: "values not in the set", meta.CheckRegex: "values not matching " + j.rule.Pattern,
		meta.CheckRange: "values out of range", meta.CheckUnique: "duplicated keys", meta.CheckCustomSQL: "rows returned",
		meta.CheckCompare: "difference",
	}[j.rule.Check]
	detail := j.res.Message
	j.res.Message = fmt.Sprintf("%g %s", v, noun)
	if detail != "" {
		j.res.Message += " (" + detail + ")"
	}
	if v > limit {
		j.res.Verdict = meta.VerdictBreach
		j.res.Message += fmt.Sprintf(", more than %g", limit)
		return
	}
	j.res.Verdict = meta.VerdictPass
}

func judgeBounds(j *job, what string, v float64, lo, hi *float64) {
	j.res.Threshold = boundsText(lo, hi)
	j.res.Verdict = meta.VerdictPass
	j.res.Message = fmt.Sprintf("%s is %g", what, v)
	switch {
	case lo != nil && v < *lo:
		j.res.Verdict = meta.VerdictBreach
		j.res.Message += fmt.Sprintf(", below min %g", *lo)
	case hi != nil && v > *hi:
		j.res.Verdict = meta.VerdictBreach
		j.res.Message += fmt.Sprintf(", above max %g", *hi)
	}
}

func boundsText(lo, hi *float64) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("between %g and %g", *lo, *hi)
	case lo != nil:
		return fmt.Sprintf(">= %g", *lo)
	case hi != nil:
		return fmt.Sprintf("<= %g", *hi)
	}
	return ""
}

// point is a metric's value in an earlier period.
type point struct {
	day   time.Time
	value float64
}

// history returns the rule's metric in the periods before p, newest first,
// one per period (the latest run of each), at most n.
func (c *Checker) history(ctx context.Context, p *Period, j *job, n int) ([]point, error) {
	rs, err := c.store.ListQualityResults(ctx, &meta.ListQualityResultsParams{
		ProjectID: p.ProjectID, Task: p.Task, Rule: j.res.Rule, BizdateBefore: p.Bizdate, Limit: 4 * n,
	})
	if err != nil {
		return nil, fmt.Errorf("read the rule's history: %w", err)
	}
	var out []point
	seen := map[string]bool{}
	for _, r := range rs {
		if r.Metric == nil || seen[r.Bizdate] {
			continue
		}
		seen[r.Bizdate] = true
		day, err := time.Parse(time.DateOnly, r.Bizdate)
		if err != nil {
			continue
		}
		out = append(out, point{day, *r.Metric})
		if len(out) == n {
			break
		}
	}
	return out, nil
}

// judgeChange compares v with an earlier period's value or the mean of
// the seven before.
func (c *Checker) judgeChange(ctx context.Context, p *Period, j *job, what string, v float64) {
	versus := cmp.Or(j.rule.Versus, VersusPrevious)
	hist, err := c.history(ctx, p, j, 7)
	if err != nil {
		j.err = err
		return
	}
	today, _ := time.Parse(time.DateOnly, p.Bizdate)
	var base float64
	found := false
	switch versus {
	case VersusAvg7:
		n := 0
		for _, pt := range hist {
			if today.Sub(pt.day) <= 7*24*time.Hour {
				base += pt.value
				n++
			}
		}
		if n > 0 {
			base, found = base/float64(n), true
		}
	default:
		back := map[string]int{VersusPrevious: 1, VersusLastWeek: 7}[versus]
		want := today.AddDate(0, 0, -back)
		for _, pt := range hist {
			if pt.day.Equal(want) {
				base, found = pt.value, true
			}
		}
	}
	pct := *j.rule.MaxPct
	if !found {
		j.res.Verdict = meta.VerdictNoHistory
		j.res.Threshold = fmt.Sprintf("within %g%% of %s", pct, versus)
		j.res.Message = fmt.Sprintf("%s is %g; no %s value to compare with yet", what, v, versus)
		return
	}
	lo, hi := base*(1-pct/100), base*(1+pct/100)
	if base < 0 {
		lo, hi = hi, lo
	}
	judgeBounds(j, what, v, &lo, &hi)
	j.res.Threshold = fmt.Sprintf("between %g and %g (%g ±%g%%, %s)", lo, hi, base, pct, versus)
	if base != 0 {
		j.res.Message += fmt.Sprintf(" (%+.1f%% vs %s %g)", (v-base)/abs(base)*100, versus, base)
	}
}

func (c *Checker) judgeOutlier(ctx context.Context, p *Period, j *job, what string, v float64) {
	n, need := cmp.Or(j.rule.History, DefaultHistory), cmp.Or(j.rule.MinHistory, DefaultMinHistory)
	hist, err := c.history(ctx, p, j, n)
	if err != nil {
		j.err = err
		return
	}
	if len(hist) < need {
		j.res.Verdict = meta.VerdictNoHistory
		j.res.Message = fmt.Sprintf("%s is %g; %d earlier periods recorded, %d needed before judging", what, v, len(hist), need)
		return
	}
	vals := make([]float64, len(hist))
	for i, pt := range hist {
		vals[i] = pt.value
	}
	var lo, hi float64
	if j.rule.Method == "sigma" {
		k := cmp.Or(j.rule.K, DefaultSigmaK)
		m, sd := meanSD(vals)
		lo, hi = m-k*sd, m+k*sd
	} else {
		k := cmp.Or(j.rule.K, DefaultIQRK)
		q1, q3 := quantile(vals, 0.25), quantile(vals, 0.75)
		lo, hi = q1-k*(q3-q1), q3+k*(q3-q1)
	}
	judgeBounds(j, what, v, &lo, &hi)
	j.res.Threshold += fmt.Sprintf(" (%s of %d periods)", cmp.Or(j.rule.Method, "iqr"), len(vals))
}

func (c *Checker) judgeAnomaly(ctx context.Context, p *Period, j *job, what string, v float64) {
	n, need := cmp.Or(j.rule.History, DefaultHistory), cmp.Or(j.rule.MinHistory, DefaultMinHistory)
	hist, err := c.history(ctx, p, j, n)
	if err != nil {
		j.err = err
		return
	}
	if len(hist) < need {
		j.res.Verdict = meta.VerdictNoHistory
		j.res.Message = fmt.Sprintf("%s is %g; %d earlier periods recorded, %d needed before the model judges", what, v, len(hist), need)
		return
	}
	today, _ := time.Parse(time.DateOnly, p.Bizdate)
	band := Fit(hist2series(hist), today, cmp.Or(j.rule.K, DefaultSigmaK))
	judgeBounds(j, what, v, &band.Low, &band.High)
	j.res.Threshold += fmt.Sprintf(" (expected %.4g, %s)", band.Expected, band.Model)
}

func hist2series(h []point) []Observation {
	out := make([]Observation, len(h))
	for i, pt := range h {
		out[len(h)-1-i] = Observation{Day: pt.day, Value: pt.value}
	}
	return out
}
