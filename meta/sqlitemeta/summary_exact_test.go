package sqlitemeta

import (
	"context"
	"strings"

	"github.com/kilnhq/kiln/meta"
)

// exactOpsSummary is the summary as it was computed before the rollups: one
// statement over the instances, kept to check the rollups against at scale
// (the benchmark) and on random histories (TestSummaryMatchesExact).
func (s *Store) exactOpsSummary(ctx context.Context, p *meta.SummaryParams) ([]*meta.SummaryRow, error) {
	if p.ProjectIDs != nil && len(p.ProjectIDs) == 0 {
		return nil, nil
	}
	q, args := exactSummarySQL(p)
	rows, err := s.r().QueryContext(ctx, q, args...)
	out, err := collect(rows, err, func(r scanner) (*meta.SummaryRow, error) {
		x := &meta.SummaryRow{}
		var other int
		err := r.Scan(&x.Bizdate, &x.Group, &other, &x.State, &x.Count, &x.DurationMs, &x.CPUSeconds, &x.WithDeadline, &x.OnTime, &x.P95DurationMs)
		x.Others = other == 1
		return x, err
	})
	return out, wrap(err, "ops summary")
}

// exactSummarySQL builds the summary statement. Owner and tier come from the
// version's spec, extracted once per version in a CTE rather than once per
// instance.
func exactSummarySQL(p *meta.SummaryParams) (string, []any) {
	var b strings.Builder
	args := []any{p.BizdateFrom, p.BizdateTo}
	needVersion := p.GroupBy == meta.GroupOwner || p.GroupBy == meta.GroupTier || p.Owner != "" || p.Tier != ""
	grp := `''`
	switch p.GroupBy {
	case meta.GroupOwner:
		grp = `v.owner`
	case meta.GroupTier:
		grp = `v.tier`
	case meta.GroupProject:
		grp = `CAST(i.project_id AS TEXT)`
	}
	b.WriteString(`WITH `)
	where := `i.bizdate >= ? AND i.bizdate <= ?`
	if p.ProjectIDs != nil {
		where += ` AND i.project_id IN (?` + strings.Repeat(`, ?`, len(p.ProjectIDs)-1) + `)`
		for _, id := range p.ProjectIDs {
			args = append(args, id)
		}
	}
	if needVersion {
		// The versions that ran in the range, with their owner and tier.
		b.WriteString(`v AS MATERIALIZED (
			SELECT id, coalesce(json_extract(spec, '$.owner'), '') AS owner, coalesce(nullif(json_extract(spec, '$.tier'), ''), 'normal') AS tier
			FROM task_versions WHERE id IN (SELECT DISTINCT i.version_id FROM instances i WHERE ` + where + `)),
			`)
		args = append(args, args...)
		if p.Owner != "" {
			where += ` AND v.owner = ?`
			args = append(args, p.Owner)
		}
		if p.Tier != "" {
			where += ` AND v.tier = ?`
			args = append(args, p.Tier)
		}
	}
	// One pass over the instances: each row gets its rank among the
	// group's positive durations and the group's count of them, so the p95
	// falls out of the same aggregation as the counts and sums.
	b.WriteString(`src AS NOT MATERIALIZED (
		SELECT i.bizdate, ` + grp + ` AS grp, i.state, i.duration_ms, i.cpu_seconds,
			CASE WHEN i.deadline IS NOT NULL THEN 1 ELSE 0 END AS dl,
			CASE WHEN i.deadline IS NOT NULL AND i.state = 'success' AND i.ended_at IS NOT NULL AND i.ended_at <= i.deadline THEN 1 ELSE 0 END AS ontime
		FROM instances i`)
	if needVersion {
		b.WriteString(` JOIN v ON v.id = i.version_id`)
	}
	b.WriteString(` WHERE ` + where + `),
		`)
	if p.Top > 0 && p.GroupBy != meta.GroupNone {
		b.WriteString(`ranked AS (SELECT grp, row_number() OVER (ORDER BY count(*) DESC, grp) AS r FROM src GROUP BY grp),
		g AS (SELECT s.bizdate, CASE WHEN r.r <= ? THEN s.grp ELSE '' END AS grp, CASE WHEN r.r <= ? THEN 0 ELSE 1 END AS other,
			s.state, s.duration_ms, s.cpu_seconds, s.dl, s.ontime FROM src s JOIN ranked r ON r.grp = s.grp),
		`)
		args = append(args, p.Top, p.Top)
	} else {
		b.WriteString(`g AS (SELECT bizdate, grp, 0 AS other, state, duration_ms, cpu_seconds, dl, ontime FROM src),
		`)
	}
	b.WriteString(`x AS (
			SELECT g.*,
				CASE WHEN duration_ms > 0 THEN row_number() OVER (PARTITION BY bizdate, grp, other, duration_ms > 0 ORDER BY duration_ms) END AS rn,
				sum(CASE WHEN duration_ms > 0 THEN 1 ELSE 0 END) OVER (PARTITION BY bizdate, grp, other) AS cnt
			FROM g)
		SELECT bizdate, grp, other, state, count(*), sum(duration_ms), sum(cpu_seconds), sum(dl), sum(ontime),
			coalesce(max(max(CASE WHEN rn = (cnt * 95 + 99) / 100 THEN duration_ms END)) OVER (PARTITION BY bizdate, grp, other), 0)
		FROM x GROUP BY bizdate, grp, other, state
		ORDER BY bizdate, other, grp, state`)
	return b.String(), args
}
