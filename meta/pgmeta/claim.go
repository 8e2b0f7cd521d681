package pgmeta

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// ClaimInstances moves up to p.Limit queued instances to running for
// p.Worker, highest priority then longest queued first, and starts an
// attempt for each, in one statement. FOR UPDATE SKIP LOCKED lets
// concurrent claimers pass over each other's rows instead of waiting on
// them or taking them twice.
func (s *Store) ClaimInstances(ctx context.Context, p *meta.ClaimParams) ([]*meta.Instance, error) {
	if p.Worker == "" || p.LeaseUntil.IsZero() {
		return nil, errors.New("claim instances: a worker and a lease end are required")
	}
	if p.Limit <= 0 {
		return nil, nil
	}
	n := now()
	if !p.Now.IsZero() {
		n = ts(p.Now)
	}
	var out []*meta.Instance
	err := s.write(ctx, func(tx *Store) error {
		// Pool and per-task caps count what runs everywhere, so claims take
		// turns: one transaction-scoped advisory lock serialises them. The
		// lock is held for a few milliseconds; SKIP LOCKED still passes over
		// rows another transaction (a kill, a rerun) holds.
		if _, err := tx.q().Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, claimLockKey); err != nil {
			return err
		}
		ids, err := tx.pickClaims(ctx, p, n)
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err := tx.q().Query(ctx, `
			WITH picked AS (
				SELECT id FROM instances WHERE id = ANY($1) AND state = 'queued' FOR UPDATE SKIP LOCKED
			), claimed AS (
				UPDATE instances i SET state = 'running', worker = $2, lease_until = $3, started_at = $4,
					ended_at = NULL, duration_ms = 0, error = '', attempt = i.attempt + 1
				FROM picked WHERE i.id = picked.id
				RETURNING i.id, i.attempt, i.worker, i.started_at
			)
			INSERT INTO attempts (instance_id, attempt, state, worker, started_at)
			SELECT id, attempt, 'running', worker, started_at FROM claimed
			RETURNING instance_id`,
			ids, p.Worker, ts(p.LeaseUntil), n)
		ids, err = collect(rows, err, func(r scanner) (id int64, err error) { return id, r.Scan(&id) })
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err = tx.q().Query(ctx, instanceSelect+`
			WHERE i.id = ANY($1) ORDER BY i.priority DESC, i.queued_at, i.id`, ids)
		out, err = collect(rows, err, scanInstance)
		return err
	})
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("claim instances for %s", p.Worker))
	}
	return out, nil
}

// claimLockKey is the advisory lock claims take turns on.
const claimLockKey = 0x6b696c6e // "kiln"

// pickClaims chooses the instances a claim takes: queued, due, of an active
// task, highest priority then longest queued, within pool and per-task caps.
func (s *Store) pickClaims(ctx context.Context, p *meta.ClaimParams, n time.Time) ([]int64, error) {
	rows, err := s.q().Query(ctx, `
		SELECT i.id, i.project_id, i.task_id, i.pool, coalesce((v.spec->>'max_concurrent')::int, 0)
		FROM instances i JOIN tasks t ON t.id = i.task_id JOIN task_versions v ON v.id = i.version_id
		WHERE i.state = 'queued' AND (i.not_before IS NULL OR i.not_before <= $1) AND t.status = 'active'
		ORDER BY i.priority DESC, i.queued_at, i.id LIMIT $2`, n, max(p.Limit*8, 256))
	cands, err := collect(rows, err, func(r scanner) (c meta.ClaimCandidate, err error) {
		return c, r.Scan(&c.ID, &c.ProjectID, &c.TaskID, &c.Pool, &c.MaxConcurrent)
	})
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	rows, err = s.q().Query(ctx, `
		SELECT project_id, pool, task_id, count(*)::int FROM instances WHERE state = 'running' GROUP BY 1, 2, 3`)
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

// RenewLeases extends the leases worker holds on the running instances
// among ids and returns how many it still holds.
func (s *Store) RenewLeases(ctx context.Context, worker string, ids []int64, until time.Time) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	tag, err := s.q().Exec(ctx, `
		UPDATE instances SET lease_until = $1
		WHERE state = 'running' AND worker = $2 AND id = ANY($3)`,
		ts(until), worker, ids)
	if err != nil {
		return 0, wrap(err, fmt.Sprintf("renew leases of %s", worker))
	}
	return int(tag.RowsAffected()), nil
}

// ExpiredLeases lists running instances whose lease ended before at,
// longest expired first.
func (s *Store) ExpiredLeases(ctx context.Context, at time.Time) ([]*meta.Instance, error) {
	rows, err := s.q().Query(ctx, instanceSelect+`
		WHERE i.state = 'running' AND i.lease_until < $1
		ORDER BY i.lease_until, i.id`, ts(at))
	ins, err := collect(rows, err, scanInstance)
	if err != nil {
		return nil, wrap(err, "expired leases")
	}
	return ins, nil
}
