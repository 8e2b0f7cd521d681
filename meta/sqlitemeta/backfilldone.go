package sqlitemeta

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.BackfillWatchStore = (*Store)(nil)

// FinishedBackfills lists unannounced backfills whose instances all ended.
func (s *Store) FinishedBackfills(ctx context.Context) ([]*meta.BackfillDone, error) {
	rows, err := s.r().QueryContext(ctx, `
		SELECT b.id, b.project_id, b.tasks, b.from_date, b.to_date, b.parallel, b.ord,
			count(*) FILTER (WHERE i.state = 'success'),
			count(*) FILTER (WHERE i.state <> 'success')
		FROM backfills b JOIN instances i ON i.backfill_id = b.id
		WHERE b.finished_at IS NULL
		GROUP BY b.id, b.project_id, b.tasks, b.from_date, b.to_date, b.parallel, b.ord
		HAVING count(*) FILTER (WHERE i.state IN ('waiting', 'queued', 'running')) = 0
		ORDER BY b.id`)
	out, err := collect(rows, err, func(r scanner) (*meta.BackfillDone, error) {
		b := &meta.BackfillDone{}
		var tasks string
		if err := r.Scan(&b.ID, &b.ProjectID, &tasks, &b.From, &b.To, &b.Parallel, &b.Order, &b.Succeeded, &b.Failed); err != nil {
			return nil, err
		}
		return b, json.Unmarshal([]byte(tasks), &b.Tasks)
	})
	return out, wrap(err, "finished backfills")
}

// MarkBackfillFinished records the announcement once.
func (s *Store) MarkBackfillFinished(ctx context.Context, id int64, at time.Time) (bool, error) {
	res, err := s.w().ExecContext(ctx, `UPDATE backfills SET finished_at = ? WHERE id = ? AND finished_at IS NULL`, fmtTime(at), id)
	n, err := affected(res, err)
	return n == 1, wrap(err, fmt.Sprintf("backfill %d", id))
}
