package pgmeta

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.SummaryStore = (*Store)(nil)

// The final states and the others, as the rollup trigger of migration 0014
// and the partial indexes spell them.
const (
	finalStates   = `('success', 'failed', 'killed', 'skipped', 'upstream_failed')`
	unfinishedSet = `('waiting', 'queued', 'running')`
)

// OpsSummary computes the summary from the rollups that migration 0014's
// trigger keeps (summary_days, summary_durations), the unfinished
// instances of the range, and, for the exact p95, the longest finished
// durations above a threshold the duration buckets give (see
// meta.BuildSummary). All reads share one snapshot (a repeatable-read,
// read-only transaction), so a change committed meanwhile by another
// process is either wholly in the figures or not at all. Called inside a
// caller's transaction (read committed) it reads in that transaction, and
// the statements may see different commits of other processes; nothing
// summarizes inside a transaction today.
func (s *Store) OpsSummary(ctx context.Context, p *meta.SummaryParams) ([]*meta.SummaryRow, error) {
	if p.ProjectIDs != nil && len(p.ProjectIDs) == 0 {
		return nil, nil
	}
	if s.tx != nil {
		out, err := opsSummary(ctx, s.tx, p)
		return out, wrap(err, "ops summary")
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, wrap(err, "ops summary")
	}
	defer tx.Rollback(ctx) // read only: nothing to keep
	out, err := opsSummary(ctx, tx, p)
	return out, wrap(err, "ops summary")
}

func opsSummary(ctx context.Context, q querier, p *meta.SummaryParams) ([]*meta.SummaryRow, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where := `bizdate >= ` + arg(p.BizdateFrom) + ` AND bizdate <= ` + arg(p.BizdateTo)
	if p.ProjectIDs != nil {
		where += ` AND project_id = ANY(` + arg(p.ProjectIDs) + `)`
	}
	instArgs := append([]any(nil), args...)
	rollWhere := where
	if p.Owner != "" {
		rollWhere += ` AND owner = ` + arg(p.Owner)
	}
	if p.Tier != "" {
		rollWhere += ` AND tier = ` + arg(p.Tier)
	}
	rows, err := q.Query(ctx, `
		SELECT project_id, bizdate, owner, tier, state, n, duration_ms, cpu_us, with_deadline, on_time
		FROM summary_days WHERE `+rollWhere+` AND n <> 0`, args...)
	counts, err := collect(rows, err, func(r scanner) (meta.SummaryCount, error) {
		var c meta.SummaryCount
		err := r.Scan(&c.ProjectID, &c.Bizdate, &c.Owner, &c.Tier, &c.State, &c.Count, &c.DurationMs, &c.CPUMicros, &c.WithDeadline, &c.OnTime)
		return c, err
	})
	if err != nil {
		return nil, err
	}
	// Buckets summed over the owners or tiers the grouping does not need.
	owner, tier := `''::text`, `''::text`
	if p.GroupBy == meta.GroupOwner {
		owner = `owner`
	}
	if p.GroupBy == meta.GroupTier {
		tier = `tier`
	}
	rows, err = q.Query(ctx, `
		SELECT project_id, bizdate, `+owner+`, `+tier+`, bucket, sum(n)::int
		FROM summary_durations WHERE `+rollWhere+`
		GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0`, args...)
	buckets, err := collect(rows, err, func(r scanner) (meta.SummaryBucket, error) {
		var b meta.SummaryBucket
		err := r.Scan(&b.ProjectID, &b.Bizdate, &b.Owner, &b.Tier, &b.Low, &b.Count)
		return b, err
	})
	if err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `
		SELECT project_id, bizdate, version_id, state, duration_ms, cpu_seconds, deadline IS NOT NULL,
			deadline IS NOT NULL AND state = 'success' AND ended_at IS NOT NULL AND ended_at <= deadline
		FROM instances WHERE state IN `+unfinishedSet+` AND `+where, instArgs...)
	live, err := collect(rows, err, func(r scanner) (meta.SummaryLive, error) {
		var l meta.SummaryLive
		err := r.Scan(&l.ProjectID, &l.Bizdate, &l.VersionID, &l.State, &l.DurationMs, &l.CPUSeconds, &l.Deadline, &l.OnTime)
		return l, err
	})
	if err != nil {
		return nil, err
	}
	dims := func(ids []int64) (map[int64]meta.VersionDims, error) {
		rows, err := q.Query(ctx, `
			SELECT id, coalesce(spec->>'owner', ''), coalesce(nullif(spec->>'tier', ''), 'normal')
			FROM task_versions WHERE id = ANY($1)`, ids)
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
		ps, ds, los := make([]int64, len(ts)), make([]string, len(ts)), make([]int64, len(ts))
		for i, t := range ts {
			ps[i], ds[i], los[i] = t.ProjectID, t.Bizdate, t.MinMs
		}
		// A lateral join: one scan of the partial index per project and
		// bizdate, from its threshold up. OFFSET 0 keeps the planner from
		// flattening it into a hash join over a scan of every instance.
		rows, err := q.Query(ctx, `
			SELECT t.p, t.d, i.version_id, i.duration_ms
			FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS t(p, d, lo)
			CROSS JOIN LATERAL (SELECT version_id, duration_ms FROM instances
				WHERE project_id = t.p AND bizdate = t.d AND duration_ms >= t.lo AND state IN `+finalStates+` OFFSET 0) i`,
			ps, ds, los)
		return collect(rows, err, func(r scanner) (meta.SummaryTail, error) {
			var t meta.SummaryTail
			err := r.Scan(&t.ProjectID, &t.Bizdate, &t.VersionID, &t.DurationMs)
			return t, err
		})
	}
	return meta.BuildSummary(p, counts, buckets, live, dims, tail)
}
