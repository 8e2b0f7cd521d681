package quality

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
)

// Engines opens a project's data sources (the other side of a compare rule).
type Engines interface {
	Engine(ctx context.Context, projectID int64, name string) (engine.Engine, error)
}

// Period is the data a set of rules measures: one task's output for one period.
type Period struct {
	ProjectID  int64
	Task       string
	InstanceID int64
	Bizdate    string // YYYY-MM-DD
	// Engine holds the task's tables; Engines opens other sources.
	Engine  engine.Engine
	Engines Engines
	// Table is the table rules measure when they name none (the task's target).
	Table string
	// Where selects the period's rows of Table when a rule sets no where;
	// empty: the whole table.
	Where string
	// Render expands parameters in a rule's table, where and sql.
	Render func(string) (string, error)
}

// aggregated are the checks whose metric comes from the shared aggregate
// query of their table.
var aggregated = []meta.QualityCheck{
	meta.CheckRowCount, meta.CheckRowCountChange, meta.CheckNullCount, meta.CheckNullRate, meta.CheckDistinct,
	meta.CheckInSet, meta.CheckRegex, meta.CheckRange, meta.CheckMin, meta.CheckMax, meta.CheckSum, meta.CheckMean,
	meta.CheckOutlier, meta.CheckAnomaly,
}

// job is one rule being run.
type job struct {
	rule  *meta.QualityRule
	res   *meta.QualityResult
	table string
	where string
	expr  string // the aggregate expression of its metric
	value *float64
	err   error
}

// Run runs rules on a period and returns one result per rule, in order.
// A rule that cannot run gets a result with VerdictError saying why; a
// rule is never silently passed.
func (c *Checker) Run(ctx context.Context, p *Period, rules []meta.QualityRule) []*meta.QualityResult {
	jobs := make([]*job, len(rules))
	for i := range rules {
		jobs[i] = c.prepare(p, &rules[i])
	}
	var agg []*job
	for _, j := range jobs {
		switch {
		case j.err != nil:
		case slices.Contains(aggregated, j.rule.Check):
			agg = append(agg, j)
		default:
			j.value, j.err = c.runSingle(ctx, p, j)
		}
	}
	c.runAggregates(ctx, p, agg)
	out := make([]*meta.QualityResult, len(jobs))
	for i, j := range jobs {
		if j.err == nil && j.value != nil {
			c.judge(ctx, p, j)
		}
		if j.err == nil && j.res.Verdict == meta.VerdictBreach {
			c.sample(ctx, p, j)
		}
		if j.err != nil {
			j.res.Verdict, j.res.Message = meta.VerdictError, j.err.Error()
		}
		out[i] = j.res
	}
	return out
}

func (c *Checker) prepare(p *Period, r *meta.QualityRule) *job {
	j := &job{rule: r, res: &meta.QualityResult{
		ProjectID: p.ProjectID, Task: p.Task, InstanceID: p.InstanceID, Bizdate: p.Bizdate, Rule: RuleName(r),
		Check: r.Check, Column: r.Column, Severity: cmp.Or(r.Severity, meta.SeverityWeak),
	}}
	if err := Validate(r); err != nil {
		j.err = fmt.Errorf("invalid rule: %w", err)
		return j
	}
	j.table, j.where = p.Table, p.Where
	if r.Table != "" {
		j.table, j.where = r.Table, "" // another table: its whole content unless where says
	}
	if r.Where != "" {
		j.where = r.Where
	}
	var err error
	if j.table, err = render(p, j.table); err != nil {
		j.err = fmt.Errorf("table: %w", err)
	} else if j.where, err = render(p, j.where); err != nil {
		j.err = fmt.Errorf("where: %w", err)
	}
	j.res.Table = j.table
	if j.table == "" && r.Check != meta.CheckCustomSQL {
		j.err = errors.New("no table to check: the task writes no target table, so set table on the rule")
	}
	return j
}

func render(p *Period, s string) (string, error) {
	if s == "" || p.Render == nil {
		return s, nil
	}
	return p.Render(s)
}

// metricOf is the metric an aggregated rule's value is.
func metricOf(r *meta.QualityRule) string {
	switch r.Check {
	case meta.CheckRowCount, meta.CheckRowCountChange:
		return "row_count"
	case meta.CheckOutlier, meta.CheckAnomaly:
		return r.Metric
	case meta.CheckDistinct:
		return "distinct_count"
	}
	return string(r.Check)
}

// runAggregates measures every aggregated rule with one query per table
// and where, after checking their columns exist.
func (c *Checker) runAggregates(ctx context.Context, p *Period, jobs []*job) {
	groups := map[[2]string][]*job{}
	var order [][2]string
	for _, j := range jobs {
		k := [2]string{j.table, j.where}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], j)
	}
	for _, k := range order {
		c.runGroup(ctx, p, k[0], k[1], groups[k])
	}
}

func (c *Checker) runGroup(ctx context.Context, p *Period, table, where string, jobs []*job) {
	d := dialect(p.Engine.Dialect())
	ref := engine.ParseTableRef(table)
	live, err := checkColumns(ctx, p.Engine, ref, jobs)
	if err != nil {
		for _, j := range jobs {
			j.err = err
		}
		return
	}
	exprs := []string{"count(*)"}
	index := map[string]int{"count(*)": 0}
	for _, j := range live {
		if v := d.violation(j.rule); v != "" && j.rule.Check != meta.CheckNullCount && j.rule.Check != meta.CheckNullRate {
			j.expr = "sum(CASE WHEN " + v + " THEN 1 ELSE 0 END)"
		} else {
			j.expr = d.aggregate(metricOf(j.rule), j.rule.Column)
		}
		if _, ok := index[j.expr]; !ok {
			index[j.expr] = len(exprs)
			exprs = append(exprs, j.expr)
		}
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + d.table(ref) + whereSQL(where)
	row, err := queryRow(ctx, p.Engine, q)
	if err != nil {
		for _, j := range live {
			j.err = fmt.Errorf("query on %s failed: %w", p.Engine.Name(), err)
		}
		return
	}
	rows, _, _ := toFloat(row[0])
	for _, j := range live {
		v, ok, err := toFloat(row[index[j.expr]])
		switch {
		case err != nil:
			j.err = fmt.Errorf("%s of %s: %w", metricOf(j.rule), j.rule.Column, err)
			continue
		case !ok && (j.rule.Check == meta.CheckInSet || j.rule.Check == meta.CheckRegex || j.rule.Check == meta.CheckRange):
			v, ok = 0, true // sum over no rows: nothing violates
		case !ok:
			j.err = fmt.Errorf("%s of %s is NULL: the period has no values (%g rows)", metricOf(j.rule), j.rule.Column, rows)
			continue
		}
		if metricOf(j.rule) == "null_rate" {
			v = 0
			if rows > 0 {
				n, _, _ := toFloat(row[index[j.expr]])
				v = n / rows
			}
		}
		j.value = &v
	}
}

func whereSQL(where string) string {
	if strings.TrimSpace(where) == "" {
		return ""
	}
	return " WHERE " + where
}

// checkColumns describes the table once and fails the rules whose columns
// it lacks; it returns the rules left to run.
func checkColumns(ctx context.Context, eng engine.Engine, ref engine.TableRef, jobs []*job) ([]*job, error) {
	t, err := eng.Describe(ctx, ref)
	if err != nil {
		if errors.Is(err, engine.ErrTableNotFound) {
			return nil, fmt.Errorf("table %s not found on %s", ref, eng.Name())
		}
		return nil, fmt.Errorf("describe %s on %s: %w", ref, eng.Name(), err)
	}
	have := map[string]bool{}
	var names []string
	for _, c := range t.Columns {
		have[strings.ToLower(c.Name)] = true
		names = append(names, c.Name)
	}
	var live []*job
	for _, j := range jobs {
		cols := slices.Clone(j.rule.Columns)
		if j.rule.Column != "" {
			cols = append(cols, j.rule.Column)
		}
		var missing []string
		for _, c := range cols {
			if !have[strings.ToLower(c)] {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			j.err = fmt.Errorf("column %s not in table %s (it has %s)", strings.Join(missing, ", "), ref, strings.Join(names, ", "))
			continue
		}
		live = append(live, j)
	}
	return live, nil
}

// queryRow runs a query that returns one row and copies its values.
func queryRow(ctx context.Context, eng engine.Engine, q string) ([]any, error) {
	rows, err := eng.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("the query returned no row")
	}
	vals, err := rows.Values()
	if err != nil {
		return nil, err
	}
	return slices.Clone(vals), rows.Err()
}

// queryRows runs a query and returns its column names and up to limit
// rows as text, and how many rows it returned in all.
func queryRows(ctx context.Context, eng engine.Engine, q string, limit int) ([]map[string]string, int, error) {
	rows, err := eng.Query(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	cols := rows.Columns()
	var out []map[string]string
	n := 0
	for rows.Next() {
		n++
		if len(out) >= limit {
			continue
		}
		vals, err := rows.Values()
		if err != nil {
			return nil, 0, err
		}
		m := map[string]string{}
		for i, c := range cols {
			m[c.Name] = textOf(vals[i])
		}
		out = append(out, m)
	}
	return out, n, rows.Err()
}

// sample keeps a few offending rows of a breached rule.
func (c *Checker) sample(ctx context.Context, p *Period, j *job) {
	if j.res.Sample != nil {
		return
	}
	d := dialect(p.Engine.Dialect())
	cond := d.violation(j.rule)
	if cond == "" {
		return
	}
	where := "(" + cond + ")"
	if strings.TrimSpace(j.where) != "" {
		where = "(" + j.where + ") AND " + where
	}
	q := "SELECT * FROM " + d.table(engine.ParseTableRef(j.table)) + " WHERE " + where + " LIMIT " + fmt.Sprint(c.cfg.SampleRows)
	rows, _, err := queryRows(ctx, p.Engine, q, c.cfg.SampleRows)
	if err == nil {
		j.res.Sample = rows
	}
}
