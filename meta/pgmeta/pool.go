package pgmeta

import (
	"context"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.PoolStore = (*Store)(nil)

// PoolUsage counts a project's running and queued instances per pool.
func (s *Store) PoolUsage(ctx context.Context, projectID int64) ([]*meta.PoolUsage, error) {
	rows, err := s.q().Query(ctx, `
		SELECT pool, count(*) FILTER (WHERE state = 'running'), count(*) FILTER (WHERE state = 'queued')
		FROM instances WHERE project_id = $1 AND state IN ('running', 'queued')
		GROUP BY pool ORDER BY pool`, projectID)
	us, err := collect(rows, err, func(r scanner) (*meta.PoolUsage, error) {
		u := &meta.PoolUsage{}
		return u, r.Scan(&u.Pool, &u.Running, &u.Queued)
	})
	return us, wrap(err, fmt.Sprintf("pool usage of project %d", projectID))
}

// PoolSlots reads every project's pool caps in one query.
func (s *Store) PoolSlots(ctx context.Context) (map[meta.PoolKey]int, error) {
	rows, err := s.q().Query(ctx, `
		SELECT p.id, j.key, j.value::int FROM projects p, jsonb_each_text(p.config->'pools') j
		WHERE jsonb_typeof(p.config->'pools') = 'object'
		UNION ALL SELECT id, NULL, NULL FROM projects`)
	rs, err := collect(rows, err, func(r scanner) (meta.PoolSlotRow, error) {
		var x meta.PoolSlotRow
		return x, r.Scan(&x.Project, &x.Pool, &x.Slots)
	})
	if err != nil {
		return nil, wrap(err, "pool slots")
	}
	return meta.BuildPoolSlots(rs), nil
}
