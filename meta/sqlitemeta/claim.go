package sqlitemeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
		rows, err := tx.w().QueryContext(ctx, `
			UPDATE instances SET state = 'running', worker = ?, lease_until = ?, started_at = ?,
				ended_at = NULL, duration_ms = 0, error = '', attempt = attempt + 1
			WHERE id IN (
				SELECT id FROM instances WHERE state = 'queued'
				ORDER BY priority DESC, queued_at, id LIMIT ?)
			RETURNING id`,
			p.Worker, fmtTime(p.LeaseUntil), fmtTime(n), p.Limit)
		ids, err := collect(rows, err, func(r scanner) (id int64, err error) { return id, r.Scan(&id) })
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
