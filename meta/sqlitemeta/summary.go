package sqlitemeta

import (
	"context"
	"database/sql"
	"strings"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.SummaryStore = (*Store)(nil)

// The final states and the others, as the rollup triggers of migration
// 0014 and the partial indexes spell them.
const (
	finalStates   = `('success', 'failed', 'killed', 'skipped', 'upstream_failed')`
	unfinishedSet = `('waiting', 'queued', 'running')`
)

// OpsSummary computes the summary from the rollups that migration 0014's
// triggers keep (summary_days, summary_durations), the unfinished
// instances of the range, and, for the exact p95, the longest finished
// durations above a threshold the duration buckets give (see
// meta.BuildSummary). All reads share one snapshot.
func (s *Store) OpsSummary(ctx context.Context, p *meta.SummaryParams) ([]*meta.SummaryRow, error) {
	if p.ProjectIDs != nil && len(p.ProjectIDs) == 0 {
		return nil, nil
	}
	var out []*meta.SummaryRow
	err := s.readSnapshot(ctx, func(q querier) error {
		var err error
		out, err = opsSummary(ctx, q, p)
		return err
	})
	return out, wrap(err, "ops summary")
}

// readSnapshot runs fn in the current transaction or in a read transaction
// of its own, so that its statements see one state of the database.
func (s *Store) readSnapshot(ctx context.Context, fn func(q querier) error) error {
	if s.tx != nil {
		return fn(s.tx)
	}
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // read only: nothing to keep
	return fn(tx)
}

func opsSummary(ctx context.Context, q querier, p *meta.SummaryParams) ([]*meta.SummaryRow, error) {
	where := `bizdate >= ? AND bizdate <= ?`
	args := []any{p.BizdateFrom, p.BizdateTo}
	if p.ProjectIDs != nil {
		where += ` AND project_id IN (?` + strings.Repeat(`, ?`, len(p.ProjectIDs)-1) + `)`
		for _, id := range p.ProjectIDs {
			args = append(args, id)
		}
	}
	rollWhere, rollArgs := where, args
	if p.Owner != "" {
		rollWhere += ` AND owner = ?`
		rollArgs = append(rollArgs, p.Owner)
	}
	if p.Tier != "" {
		rollWhere += ` AND tier = ?`
		rollArgs = append(rollArgs, p.Tier)
	}
	rows, err := q.QueryContext(ctx, `
		SELECT project_id, bizdate, owner, tier, state, n, duration_ms, cpu_us, with_deadline, on_time
		FROM summary_days WHERE `+rollWhere+` AND n <> 0`, rollArgs...)
	counts, err := collect(rows, err, func(r scanner) (meta.SummaryCount, error) {
		var c meta.SummaryCount
		err := r.Scan(&c.ProjectID, &c.Bizdate, &c.Owner, &c.Tier, &c.State, &c.Count, &c.DurationMs, &c.CPUMicros, &c.WithDeadline, &c.OnTime)
		return c, err
	})
	if err != nil {
		return nil, err
	}
	// Buckets summed over the owners or tiers the grouping does not need.
	owner, tier := `''`, `''`
	if p.GroupBy == meta.GroupOwner {
		owner = `owner`
	}
	if p.GroupBy == meta.GroupTier {
		tier = `tier`
	}
	rows, err = q.QueryContext(ctx, `
		SELECT project_id, bizdate, `+owner+`, `+tier+`, bucket, sum(n)
		FROM summary_durations WHERE `+rollWhere+`
		GROUP BY project_id, bizdate, `+owner+`, `+tier+`, bucket HAVING sum(n) <> 0`, rollArgs...)
	buckets, err := collect(rows, err, func(r scanner) (meta.SummaryBucket, error) {
		var b meta.SummaryBucket
		err := r.Scan(&b.ProjectID, &b.Bizdate, &b.Owner, &b.Tier, &b.Low, &b.Count)
		return b, err
	})
	if err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `
		SELECT project_id, bizdate, version_id, state, duration_ms, cpu_seconds, deadline IS NOT NULL,
			deadline IS NOT NULL AND state = 'success' AND ended_at IS NOT NULL AND ended_at <= deadline
		FROM instances WHERE state IN `+unfinishedSet+` AND `+where, args...)
	live, err := collect(rows, err, func(r scanner) (meta.SummaryLive, error) {
		var l meta.SummaryLive
		err := r.Scan(&l.ProjectID, &l.Bizdate, &l.VersionID, &l.State, &l.DurationMs, &l.CPUSeconds, &l.Deadline, &l.OnTime)
		return l, err
	})
	if err != nil {
		return nil, err
	}
	dims := func(ids []int64) (map[int64]meta.VersionDims, error) {
		rows, err := q.QueryContext(ctx, `
			SELECT id, coalesce(json_extract(spec, '$.owner'), ''), coalesce(nullif(json_extract(spec, '$.tier'), ''), 'normal')
			FROM task_versions WHERE id IN (SELECT value FROM json_each(?))`, mustJSON(ids))
		out := map[int64]meta.VersionDims{}
		_, err = collect(rows, err, func(r scanner) (struct{}, error) {
			var id int64
			var d meta.VersionDims
			err := r.Scan(&id, &d.Owner, &d.Tier)
			out[id] = d
			return struct{}{}, err
		})
		return out, err
	}
	tail := func(ts []meta.SummaryThreshold) ([]meta.SummaryTail, error) {
		list := make([][3]any, len(ts))
		for i, t := range ts {
			list[i] = [3]any{t.ProjectID, t.Bizdate, t.MinMs}
		}
		// CROSS JOIN keeps the thresholds outside: one seek of the partial
		// index per project and bizdate.
		rows, err := q.QueryContext(ctx, `
			WITH t AS (SELECT json_extract(value, '$[0]') AS p, json_extract(value, '$[1]') AS d, json_extract(value, '$[2]') AS lo
				FROM json_each(?))
			SELECT i.project_id, i.bizdate, i.version_id, i.duration_ms
			FROM t CROSS JOIN instances i
			WHERE i.project_id = t.p AND i.bizdate = t.d AND i.duration_ms >= t.lo AND i.state IN `+finalStates,
			mustJSON(list))
		return collect(rows, err, func(r scanner) (meta.SummaryTail, error) {
			var t meta.SummaryTail
			err := r.Scan(&t.ProjectID, &t.Bizdate, &t.VersionID, &t.DurationMs)
			return t, err
		})
	}
	return meta.BuildSummary(p, counts, buckets, live, dims, tail)
}

var _ querier = (*sql.Tx)(nil)
