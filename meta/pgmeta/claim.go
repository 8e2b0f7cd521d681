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
		rows, err := tx.q().Query(ctx, `
			WITH picked AS (
				SELECT id FROM instances WHERE state = 'queued'
				ORDER BY priority DESC, queued_at, id
				LIMIT $1 FOR UPDATE SKIP LOCKED
			), claimed AS (
				UPDATE instances i SET state = 'running', worker = $2, lease_until = $3, started_at = $4,
					ended_at = NULL, duration_ms = 0, error = '', attempt = i.attempt + 1
				FROM picked WHERE i.id = picked.id
				RETURNING i.id, i.attempt, i.worker, i.started_at
			)
			INSERT INTO attempts (instance_id, attempt, state, worker, started_at)
			SELECT id, attempt, 'running', worker, started_at FROM claimed
			RETURNING instance_id`,
			p.Limit, p.Worker, ts(p.LeaseUntil), n)
		ids, err := collect(rows, err, func(r scanner) (id int64, err error) { return id, r.Scan(&id) })
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
