package sqlitemeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// ClaimInstances moves up to p.Limit queued instances to running for
// p.Worker, highest priority then longest queued first. Claims cannot
// overlap because every write transaction holds SQLite's write lock from
// its first statement.
func (s *Store) ClaimInstances(ctx context.Context, p *meta.ClaimParams) ([]*meta.Instance, error) {
	if p.Worker == "" || p.LeaseUntil.IsZero() {
		return nil, errors.New("claim instances: a worker and a lease end are required")
	}
	if p.Limit <= 0 {
		return nil, nil
	}
	n := p.Now
	if n.IsZero() {
		n = now()
	}
	var out []*meta.Instance
	err := s.write(ctx, func(tx *Store) error {
		ids, err := tx.pickClaims(ctx, p, n)
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err := tx.w().QueryContext(ctx, `
			UPDATE instances SET state = 'running', worker = ?, lease_until = ?, started_at = ?,
				ended_at = NULL, duration_ms = 0, error = '', attempt = attempt + 1
			WHERE id IN (SELECT value FROM json_each(?)) AND state = 'queued'
			RETURNING id`,
			p.Worker, fmtTime(p.LeaseUntil), fmtTime(n), idList(ids))
		ids, err = collect(rows, err, func(r scanner) (id int64, err error) { return id, r.Scan(&id) })
		if err != nil || len(ids) == 0 {
			return err
		}
		_, err = tx.w().ExecContext(ctx, `
			INSERT INTO attempts (instance_id, attempt, state, worker, started_at)
			SELECT id, attempt, state, worker, started_at FROM instances
			WHERE id IN (SELECT value FROM json_each(?))`, idList(ids))
		if err != nil {
			return err
		}
		rows, err = tx.w().QueryContext(ctx, instanceSelect+`
			WHERE i.id IN (SELECT value FROM json_each(?))
			ORDER BY i.priority DESC, i.queued_at, i.id`, idList(ids))
		out, err = collect(rows, err, scanInstance)
		return err
	})
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("claim instances for %s", p.Worker))
	}
	return out, nil
}

// RenewLeases extends the leases worker holds on the running instances
// among ids and returns how many it still holds.
func (s *Store) RenewLeases(ctx context.Context, worker string, ids []int64, until time.Time) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := s.w().ExecContext(ctx, `
		UPDATE instances SET lease_until = ?
		WHERE state = 'running' AND worker = ? AND id IN (SELECT value FROM json_each(?))`,
		fmtTime(until), worker, idList(ids))
	n, err := affected(res, err)
	if err != nil {
		return 0, wrap(err, fmt.Sprintf("renew leases of %s", worker))
	}
	return int(n), nil
}

// pickClaims chooses the instances a claim takes: queued, due, of an active
// task, highest priority then longest queued, within pool and per-task caps.
func (s *Store) pickClaims(ctx context.Context, p *meta.ClaimParams, n time.Time) ([]int64, error) {
	// The version's max_concurrent comes from a cache (versions never
	// change): reading it out of every candidate's JSON spec was most of a
	// claim's cost.
	rows, err := s.w().QueryContext(ctx, `
		SELECT i.id, i.project_id, i.task_id, i.pool, i.version_id
		FROM instances i JOIN tasks t ON t.id = i.task_id
		WHERE i.state = 'queued' AND (i.not_before IS NULL OR i.not_before <= ?) AND t.status = 'active'
		ORDER BY i.priority DESC, i.queued_at, i.id LIMIT ?`, fmtTime(n), max(p.Limit*8, 256))
	var versions []int64
	cands, err := collect(rows, err, func(r scanner) (c meta.ClaimCandidate, err error) {
		var v int64
		err = r.Scan(&c.ID, &c.ProjectID, &c.TaskID, &c.Pool, &v)
		versions = append(versions, v)
		return c, err
	})
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	if err := s.fillCaps(ctx, cands, versions); err != nil {
		return nil, err
	}
	rows, err = s.w().QueryContext(ctx, `
		SELECT project_id, pool, task_id, count(*) FROM instances WHERE state = 'running' GROUP BY 1, 2, 3`)
	running, err := collect(rows, err, func(r scanner) (c meta.RunningCount, err error) {
		return c, r.Scan(&c.ProjectID, &c.Pool, &c.TaskID, &c.N)
	})
	if err != nil {
		return nil, err
	}
	pools := p.Pools
	if pools == nil {
		if pools, err = s.PoolSlots(ctx); err != nil {
			return nil, err
		}
	}
	return meta.PickClaims(cands, running, pools, p.Limit), nil
}

// capCache maps a task version's ID to its max_concurrent.
type capCache struct{ m sync.Map }

// fillCaps sets the MaxConcurrent of cands (whose versions are versions,
// in order), reading the versions not yet cached in one query.
func (s *Store) fillCaps(ctx context.Context, cands []meta.ClaimCandidate, versions []int64) error {
	var missing []int64
	for _, v := range versions {
		if _, ok := s.caps.m.Load(v); !ok {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		rows, err := s.w().QueryContext(ctx, `
			SELECT id, coalesce(json_extract(spec, '$.max_concurrent'), 0) FROM task_versions
			WHERE id IN (SELECT value FROM json_each(?))`, idList(missing))
		type capRow struct{ id, n int64 }
		got, err := collect(rows, err, func(r scanner) (c capRow, err error) { return c, r.Scan(&c.id, &c.n) })
		if err != nil {
			return err
		}
		for _, c := range got {
			s.caps.m.Store(c.id, int(c.n))
		}
	}
	for i, v := range versions {
		if n, ok := s.caps.m.Load(v); ok {
			cands[i].MaxConcurrent = n.(int)
		}
	}
	return nil
}

func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ExpiredLeases lists running instances whose lease ended before at,
// longest expired first.
func (s *Store) ExpiredLeases(ctx context.Context, at time.Time) ([]*meta.Instance, error) {
	rows, err := s.r().QueryContext(ctx, instanceSelect+`
		WHERE i.state = 'running' AND i.lease_until < ?
		ORDER BY i.lease_until, i.id`, fmtTime(at))
	ins, err := collect(rows, err, scanInstance)
	if err != nil {
		return nil, wrap(err, "expired leases")
	}
	return ins, nil
}
