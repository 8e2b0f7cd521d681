package quality

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
)

// runSingle measures a rule that needs its own query: unique, custom_sql, compare.
func (c *Checker) runSingle(ctx context.Context, p *Period, j *job) (*float64, error) {
	switch j.rule.Check {
	case meta.CheckUnique:
		return c.runUnique(ctx, p, j)
	case meta.CheckCustomSQL:
		return c.runCustom(ctx, p, j)
	case meta.CheckCompare:
		return c.runCompare(ctx, p, j)
	}
	return nil, fmt.Errorf("check %s cannot run on its own", j.rule.Check)
}

func (c *Checker) runUnique(ctx context.Context, p *Period, j *job) (*float64, error) {
	d := dialect(p.Engine.Dialect())
	ref := engine.ParseTableRef(j.table)
	if _, err := checkColumns(ctx, p.Engine, ref, []*job{j}); err != nil {
		return nil, err
	}
	if j.err != nil {
		return nil, j.err
	}
	keys := make([]string, len(j.rule.Columns))
	for i, k := range j.rule.Columns {
		keys[i] = d.ident(k)
	}
	groups := "SELECT " + strings.Join(keys, ", ") + ", count(*) AS duplicates FROM " + d.table(ref) + whereSQL(j.where) +
		" GROUP BY " + strings.Join(keys, ", ") + " HAVING count(*) > 1"
	row, err := queryRow(ctx, p.Engine, "SELECT count(*) FROM ("+groups+") d")
	if err != nil {
		return nil, fmt.Errorf("query on %s failed: %w", p.Engine.Name(), err)
	}
	v, _, err := toFloat(row[0])
	if err != nil {
		return nil, err
	}
	if v > 0 {
		j.res.Sample, _, _ = queryRows(ctx, p.Engine, groups+" ORDER BY duplicates DESC LIMIT "+fmt.Sprint(c.cfg.SampleRows), c.cfg.SampleRows)
	}
	return &v, nil
}

// runCustom runs a rule's own query: without bounds its metric is the
// number of rows it returned (which must be zero), with bounds the first
// value of its first row.
func (c *Checker) runCustom(ctx context.Context, p *Period, j *job) (*float64, error) {
	q, err := render(p, j.rule.SQL)
	if err != nil {
		return nil, fmt.Errorf("sql: %w", err)
	}
	q = strings.TrimRight(strings.TrimSpace(q), ";")
	if j.rule.Min == nil && j.rule.Max == nil {
		rows, n, err := queryRows(ctx, p.Engine, q, c.cfg.SampleRows)
		if err != nil {
			return nil, fmt.Errorf("query on %s failed: %w", p.Engine.Name(), err)
		}
		v := float64(n)
		if n > 0 {
			j.res.Sample = rows
		}
		return &v, nil
	}
	row, err := queryRow(ctx, p.Engine, q)
	if err != nil {
		return nil, fmt.Errorf("query on %s failed: %w", p.Engine.Name(), err)
	}
	v, ok, err := toFloat(row[0])
	if err != nil || !ok {
		return nil, fmt.Errorf("the query's first value is not a number: %v", cmp.Or(err, fmt.Errorf("NULL")))
	}
	return &v, nil
}

// side is one side of a comparison: an engine and a relation on it.
type side struct {
	eng  engine.Engine
	from string // a table with its where, or a parenthesized query
}

func (c *Checker) compareSides(ctx context.Context, p *Period, j *job) (side, side, error) {
	d := dialect(p.Engine.Dialect())
	left := side{p.Engine, d.table(engine.ParseTableRef(j.table)) + whereSQL(j.where)}
	cc := j.rule.Compare
	other := p.Engine
	if cc.Source != "" {
		if p.Engines == nil {
			return left, side{}, fmt.Errorf("comparison source %s: no data sources here", cc.Source)
		}
		e, err := p.Engines.Engine(ctx, p.ProjectID, cc.Source)
		if err != nil {
			return left, side{}, fmt.Errorf("comparison source %s cannot be reached: %w", cc.Source, err)
		}
		other = e
	}
	od := dialect(other.Dialect())
	if cc.SQL != "" {
		q, err := render(p, cc.SQL)
		if err != nil {
			return left, side{}, fmt.Errorf("compare.sql: %w", err)
		}
		return left, side{other, "(" + strings.TrimRight(strings.TrimSpace(q), ";") + ") other_side"}, nil
	}
	tbl, err := render(p, cc.Table)
	if err != nil {
		return left, side{}, fmt.Errorf("compare.table: %w", err)
	}
	where, err := render(p, cc.Where)
	if err != nil {
		return left, side{}, fmt.Errorf("compare.where: %w", err)
	}
	return left, side{other, od.table(engine.ParseTableRef(tbl)) + whereSQL(where)}, nil
}

// runCompare compares the period with another table or query, perhaps on
// another engine. Its metric is the absolute difference (count, sum) or the
// number of keys on one side only (keys).
func (c *Checker) runCompare(ctx context.Context, p *Period, j *job) (*float64, error) {
	left, right, err := c.compareSides(ctx, p, j)
	if err != nil {
		return nil, err
	}
	cc := j.rule.Compare
	switch cc.Mode {
	case "keys":
		return c.compareKeys(ctx, j, left, right)
	case "sum":
		var worst float64
		var parts []string
		for _, col := range cc.Sums {
			a, err := aggregateOn(ctx, left, "sum("+dialect(left.eng.Dialect()).ident(col)+")")
			if err != nil {
				return nil, err
			}
			b, err := aggregateOn(ctx, right, "sum("+dialect(right.eng.Dialect()).ident(col)+")")
			if err != nil {
				return nil, err
			}
			worst = max(worst, abs(a-b))
			parts = append(parts, fmt.Sprintf("sum(%s) %g here vs %g on %s", col, a, b, right.eng.Name()))
		}
		j.res.Message = strings.Join(parts, "; ")
		return &worst, nil
	}
	a, err := aggregateOn(ctx, left, "count(*)")
	if err != nil {
		return nil, err
	}
	b, err := aggregateOn(ctx, right, "count(*)")
	if err != nil {
		return nil, err
	}
	diff := abs(a - b)
	j.res.Message = fmt.Sprintf("%g rows here vs %g on %s", a, b, right.eng.Name())
	return &diff, nil
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func aggregateOn(ctx context.Context, s side, expr string) (float64, error) {
	d := dialect(s.eng.Dialect())
	row, err := queryRow(ctx, s.eng, "SELECT "+d.double(expr)+" FROM "+s.from)
	if err != nil {
		return 0, fmt.Errorf("query on %s failed: %w", s.eng.Name(), err)
	}
	v, _, err := toFloat(row[0])
	return v, err
}

// compareKeys reads the keys of both sides and counts those on one side
// only; the left side's keys are held in memory.
func (c *Checker) compareKeys(ctx context.Context, j *job, left, right side) (*float64, error) {
	read := func(s side, fn func(key string)) error {
		d := dialect(s.eng.Dialect())
		cols := make([]string, len(j.rule.Columns))
		for i, k := range j.rule.Columns {
			cols[i] = d.ident(k)
		}
		rows, err := s.eng.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+s.from)
		if err != nil {
			return fmt.Errorf("query on %s failed: %w", s.eng.Name(), err)
		}
		defer rows.Close()
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				return err
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = textOf(v)
			}
			fn(strings.Join(parts, "\x1f"))
		}
		return rows.Err()
	}
	here := map[string]int{}
	if err := read(left, func(k string) { here[k]++ }); err != nil {
		return nil, err
	}
	var missing []string
	onlyThere := 0
	if err := read(right, func(k string) {
		if here[k] > 0 {
			here[k]--
			return
		}
		onlyThere++
		if len(missing) < c.cfg.SampleRows {
			missing = append(missing, k)
		}
	}); err != nil {
		return nil, err
	}
	onlyHere := 0
	for k, n := range here {
		onlyHere += n
		if n > 0 && len(j.res.Sample) < c.cfg.SampleRows {
			j.res.Sample = append(j.res.Sample, keyRow(j.rule.Columns, k, "only here"))
		}
	}
	for _, k := range missing {
		if len(j.res.Sample) < 2*c.cfg.SampleRows {
			j.res.Sample = append(j.res.Sample, keyRow(j.rule.Columns, k, "only on "+right.eng.Name()))
		}
	}
	j.res.Message = fmt.Sprintf("%d keys only here, %d only on %s", onlyHere, onlyThere, right.eng.Name())
	v := float64(onlyHere + onlyThere)
	return &v, nil
}

func keyRow(cols []string, key, where string) map[string]string {
	m := map[string]string{"side": where}
	for i, v := range strings.Split(key, "\x1f") {
		if i < len(cols) {
			m[cols[i]] = v
		}
	}
	return m
}
