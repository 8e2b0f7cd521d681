package pgmeta

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.OpsStore = (*Store)(nil)

// SetBackfillOrder records the order of a backfill's periods.
func (s *Store) SetBackfillOrder(ctx context.Context, id int64, order string) error {
	_, err := s.q().Exec(ctx, `UPDATE backfills SET ord = $1 WHERE id = $2`, order, id)
	return wrap(err, fmt.Sprintf("backfill %d", id))
}

// OpenBackfills lists backfills with held periods.
func (s *Store) OpenBackfills(ctx context.Context) ([]*meta.Backfill, error) {
	rows, err := s.q().Query(ctx, `
		SELECT b.id, b.project_id, b.tasks::text, b.from_date, b.to_date, b.parallel, b.ord FROM backfills b
		WHERE EXISTS (SELECT 1 FROM instances i WHERE i.backfill_id = b.id AND i.state = 'waiting' AND i.not_before >= $1)
		ORDER BY b.id`, meta.HeldUntil)
	bfs, err := collect(rows, err, func(r scanner) (*meta.Backfill, error) {
		b := &meta.Backfill{}
		var tasks string
		if err := r.Scan(&b.ID, &b.ProjectID, &tasks, &b.From, &b.To, &b.Parallel, &b.Order); err != nil {
			return nil, err
		}
		return b, json.Unmarshal([]byte(tasks), &b.Tasks)
	})
	return bfs, wrap(err, "open backfills")
}

// BackfillPeriods counts held and open instances per bizdate of a backfill.
func (s *Store) BackfillPeriods(ctx context.Context, id int64) ([]*meta.BackfillPeriod, error) {
	rows, err := s.q().Query(ctx, `
		SELECT bizdate,
			count(*) FILTER (WHERE state = 'waiting' AND not_before >= $1),
			count(*) FILTER (WHERE state IN ('waiting', 'queued', 'running') AND (not_before IS NULL OR not_before < $1))
		FROM instances WHERE backfill_id = $2 GROUP BY bizdate ORDER BY bizdate`, meta.HeldUntil, id)
	ps, err := collect(rows, err, func(r scanner) (*meta.BackfillPeriod, error) {
		p := &meta.BackfillPeriod{BackfillID: id}
		return p, r.Scan(&p.Bizdate, &p.Held, &p.Open)
	})
	return ps, wrap(err, fmt.Sprintf("periods of backfill %d", id))
}

// ReleaseBackfillPeriod lets one held period of a backfill go.
func (s *Store) ReleaseBackfillPeriod(ctx context.Context, id int64, bizdate string, at time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *Store) error {
		tag, err := tx.q().Exec(ctx, `
			UPDATE instances SET not_before = $1
			WHERE backfill_id = $2 AND bizdate = $3 AND state = 'waiting' AND not_before >= $4`,
			ts(at), id, bizdate, meta.HeldUntil)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		tag, err = tx.q().Exec(ctx, `
			UPDATE instances SET state = 'queued', queued_at = $1
			WHERE backfill_id = $2 AND bizdate = $3 AND state = 'waiting' AND unmet <= 0 AND not_before <= $1`,
			ts(at), id, bizdate)
		if err == nil && tag.RowsAffected() > 0 {
			_, err = tx.q().Exec(ctx, `SELECT pg_notify($1, '')`, QueueChannel)
		}
		return err
	})
	return int(n), wrap(err, fmt.Sprintf("release %s of backfill %d", bizdate, id))
}

// LateInstances lists unfinished instances past their deadline, not yet reported.
func (s *Store) LateInstances(ctx context.Context, at time.Time) ([]*meta.Instance, error) {
	rows, err := s.q().Query(ctx, instanceSelect+`
		WHERE i.deadline IS NOT NULL AND i.late_at IS NULL AND i.state IN ('waiting', 'queued', 'running')
			AND i.deadline < $1 ORDER BY i.deadline LIMIT 1000`, ts(at))
	insts, err := collect(rows, err, scanInstance)
	return insts, wrap(err, "late instances")
}

// MarkLate records that an instance was reported late.
func (s *Store) MarkLate(ctx context.Context, id int64, at time.Time) (bool, error) {
	tag, err := s.q().Exec(ctx, `UPDATE instances SET late_at = $1 WHERE id = $2 AND late_at IS NULL`, ts(at), id)
	if err != nil {
		return false, wrap(err, fmt.Sprintf("instance %d", id))
	}
	return tag.RowsAffected() == 1, nil
}

// MeanDurations averages the last 20 successful durations of each task.
func (s *Store) MeanDurations(ctx context.Context, ids []int64) (map[int64]int64, error) {
	rows, err := s.q().Query(ctx, `
		SELECT t.id, avg(x.duration_ms)::bigint FROM unnest($1::bigint[]) t(id)
		CROSS JOIN LATERAL (SELECT duration_ms FROM instances
			WHERE task_id = t.id AND state = 'success' ORDER BY id DESC LIMIT 20) x
		GROUP BY t.id`, ids)
	type pair struct{ id, ms int64 }
	ps, err := collect(rows, err, func(r scanner) (p pair, err error) { return p, r.Scan(&p.id, &p.ms) })
	if err != nil {
		return nil, wrap(err, "mean durations")
	}
	out := map[int64]int64{}
	for _, p := range ps {
		out[p.id] = p.ms
	}
	return out, nil
}
