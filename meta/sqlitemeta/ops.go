package sqlitemeta

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
	_, err := s.w().ExecContext(ctx, `UPDATE backfills SET ord = ? WHERE id = ?`, order, id)
	return wrap(err, fmt.Sprintf("backfill %d", id))
}

// OpenBackfills lists backfills with held periods.
func (s *Store) OpenBackfills(ctx context.Context) ([]*meta.Backfill, error) {
	rows, err := s.r().QueryContext(ctx, `
		SELECT b.id, b.project_id, b.tasks, b.from_date, b.to_date, b.parallel, b.ord FROM backfills b
		WHERE EXISTS (SELECT 1 FROM instances i WHERE i.backfill_id = b.id AND i.state = 'waiting' AND i.not_before >= ?)
		ORDER BY b.id`, fmtTime(meta.HeldUntil))
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
	held := fmtTime(meta.HeldUntil)
	rows, err := s.r().QueryContext(ctx, `
		SELECT bizdate,
			count(*) FILTER (WHERE state = 'waiting' AND not_before >= ?),
			count(*) FILTER (WHERE state IN ('waiting', 'queued', 'running') AND (not_before IS NULL OR not_before < ?))
		FROM instances WHERE backfill_id = ? GROUP BY bizdate ORDER BY bizdate`, held, held, id)
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
		res, err := tx.w().ExecContext(ctx, `
			UPDATE instances SET not_before = ?
			WHERE backfill_id = ? AND bizdate = ? AND state = 'waiting' AND not_before >= ?`,
			fmtTime(at), id, bizdate, fmtTime(meta.HeldUntil))
		if n, err = affected(res, err); err != nil {
			return err
		}
		_, err = tx.w().ExecContext(ctx, `
			UPDATE instances SET state = 'queued', queued_at = ?
			WHERE backfill_id = ? AND bizdate = ? AND state = 'waiting' AND unmet <= 0 AND not_before <= ?`,
			fmtTime(at), id, bizdate, fmtTime(at))
		return err
	})
	return int(n), wrap(err, fmt.Sprintf("release %s of backfill %d", bizdate, id))
}

// LateInstances lists unfinished instances past their deadline, not yet reported.
func (s *Store) LateInstances(ctx context.Context, at time.Time) ([]*meta.Instance, error) {
	rows, err := s.r().QueryContext(ctx, instanceSelect+`
		WHERE i.deadline IS NOT NULL AND i.late_at IS NULL AND i.state IN ('waiting', 'queued', 'running')
			AND i.deadline < ? ORDER BY i.deadline LIMIT 1000`, fmtTime(at))
	insts, err := collect(rows, err, scanInstance)
	return insts, wrap(err, "late instances")
}

// MarkLate records that an instance was reported late.
func (s *Store) MarkLate(ctx context.Context, id int64, at time.Time) (bool, error) {
	res, err := s.w().ExecContext(ctx, `UPDATE instances SET late_at = ? WHERE id = ? AND late_at IS NULL`, fmtTime(at), id)
	n, err := affected(res, err)
	return n == 1, wrap(err, fmt.Sprintf("instance %d", id))
}

// MeanDurations averages the last 20 successful durations of each task.
func (s *Store) MeanDurations(ctx context.Context, ids []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	for _, id := range ids {
		var avg *float64
		err := s.r().QueryRowContext(ctx, `
			SELECT avg(duration_ms) FROM (SELECT duration_ms FROM instances
				WHERE task_id = ? AND state = 'success' ORDER BY id DESC LIMIT 20)`, id).Scan(&avg)
		if err != nil {
			return nil, wrap(err, "mean durations")
		}
		if avg != nil {
			out[id] = int64(*avg)
		}
	}
	return out, nil
}
