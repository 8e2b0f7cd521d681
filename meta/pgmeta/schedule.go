package pgmeta

import (
	"context"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.ScheduleStore = (*Store)(nil)

// QueueChannel is the NOTIFY channel on which a store announces that
// instances were queued, so that workers in other processes wake at once.
const QueueChannel = "kiln_queue"

// downstreamSub walks from instance $1 down through waiting and
// upstream_failed instances.
const downstreamSub = `
	WITH RECURSIVE d(id) AS (
		SELECT x.down_id FROM instance_deps x JOIN instances i ON i.id = x.down_id
		WHERE x.up_id = $1 AND i.state IN ('waiting', 'upstream_failed')
		UNION
		SELECT x.down_id FROM instance_deps x JOIN d ON x.up_id = d.id
		JOIN instances i ON i.id = x.down_id AND i.state IN ('waiting', 'upstream_failed'))
	SELECT id FROM d`

func met(s meta.State) bool { return s == meta.StateSuccess || s == meta.StateSkipped }
func broken(s meta.State) bool {
	return s == meta.StateFailed || s == meta.StateKilled || s == meta.StateUpstreamFailed
}

// followDeps keeps downstream instances in step with a move of instance id
// from was to to, in the caller's transaction (see meta.ScheduleStore).
func (s *Store) followDeps(ctx context.Context, id int64, was, to meta.State, n time.Time) error {
	if was == to {
		return nil
	}
	q := s.q()
	if broken(was) && !broken(to) {
		if _, err := q.Exec(ctx, `
			UPDATE instances SET state = 'waiting', ended_at = NULL, error = ''
			WHERE state = 'upstream_failed' AND id IN (`+downstreamSub+`)`, id); err != nil {
			return err
		}
	}
	if to == meta.StateQueued {
		if _, err := q.Exec(ctx, `SELECT pg_notify($1, '')`, QueueChannel); err != nil {
			return err
		}
	}
	switch {
	case !met(was) && met(to):
		if _, err := q.Exec(ctx, `
			UPDATE instances SET unmet = unmet - 1 WHERE id IN (SELECT down_id FROM instance_deps WHERE up_id = $1)`, id); err != nil {
			return err
		}
		tag, err := q.Exec(ctx, `
			UPDATE instances SET state = 'queued', queued_at = $2
			WHERE id IN (SELECT down_id FROM instance_deps WHERE up_id = $1)
				AND state = 'waiting' AND unmet <= 0 AND (not_before IS NULL OR not_before <= $2)`, id, n)
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
			if _, err := q.Exec(ctx, `SELECT pg_notify($1, '')`, QueueChannel); err != nil {
				return err
			}
		}
	case met(was) && !met(to):
		if _, err := q.Exec(ctx, `
			UPDATE instances SET unmet = unmet + 1 WHERE id IN (SELECT down_id FROM instance_deps WHERE up_id = $1)`, id); err != nil {
			return err
		}
	}
	if (to == meta.StateFailed || to == meta.StateKilled) && !broken(was) {
		msg := fmt.Sprintf("upstream instance %d is %s", id, to)
		if _, err := q.Exec(ctx, `
			UPDATE instances SET state = 'upstream_failed', ended_at = $2, error = $3
			WHERE state = 'waiting' AND id IN (`+downstreamSub+`)`, id, n, msg); err != nil {
			return err
		}
	}
	return nil
}

const refSelect = `
	SELECT i.id, i.project_id, i.task_id, t.name, i.bizdate, i.hour, i.period_start, i.period_end, i.state,
		i.trigger_kind, i.backfill_id, i.unmet, i.not_before
	FROM instances i JOIN tasks t ON t.id = i.task_id`

func scanRef(r scanner) (*meta.PlanRef, error) {
	x := &meta.PlanRef{}
	var ps, pe *time.Time
	err := r.Scan(&x.ID, &x.ProjectID, &x.TaskID, &x.TaskName, &x.Bizdate, &x.Hour, tmNull{&ps}, tmNull{&pe}, &x.State,
		&x.Trigger, &x.BackfillID, &x.Unmet, tmNull{&x.NotBefore})
	if err != nil {
		return nil, err
	}
	if ps != nil {
		x.PeriodStart = *ps
	}
	if pe != nil {
		x.PeriodEnd = *pe
	}
	return x, nil
}

// ListPeriodInstances lists instances whose periods overlap [p.From, p.To).
func (s *Store) ListPeriodInstances(ctx context.Context, p *meta.ListPeriodParams) ([]*meta.PlanRef, error) {
	q := refSelect + ` WHERE i.trigger_kind = $1 AND i.backfill_id = $2 AND i.period_start < $3 AND i.period_end > $4`
	args := []any{string(p.Trigger), p.BackfillID, ts(p.To), ts(p.From)}
	if p.TaskIDs != nil {
		q += ` AND i.task_id = ANY($5)`
		args = append(args, p.TaskIDs)
	}
	rows, err := s.q().Query(ctx, q+` ORDER BY i.period_start, i.id`, args...)
	refs, err := collect(rows, err, scanRef)
	if err != nil {
		return nil, wrap(err, "list planned instances")
	}
	return refs, nil
}

// PlanInstance creates a waiting instance unless one with its key exists.
func (s *Store) PlanInstance(ctx context.Context, p *meta.PlanInstanceParams) (*meta.PlanRef, bool, error) {
	what := fmt.Sprintf("planned instance of task %d for %s", p.TaskID, p.PeriodStart.Format(time.RFC3339))
	var ref *meta.PlanRef
	created := false
	err := s.write(ctx, func(tx *Store) error {
		tag, err := tx.q().Exec(ctx, `
			INSERT INTO instances (project_id, task_id, version_id, bizdate, hour, state, trigger_kind, priority, pool,
				created_by, created_at, not_before, deadline, period_start, period_end, backfill_id)
			VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING`,
			p.ProjectID, p.TaskID, p.VersionID, p.Bizdate, p.Hour, string(p.Trigger), p.Priority, p.Pool, p.CreatedBy, now(),
			ts(p.NotBefore), tsPtr(p.Deadline), ts(p.PeriodStart), ts(p.PeriodEnd), p.BackfillID)
		if err != nil {
			return wrap(err, what)
		}
		created = tag.RowsAffected() == 1
		if !created {
			// Bring a waiting instance up to date with its task's version.
			_, err = tx.q().Exec(ctx, `
				UPDATE instances SET version_id = $1, priority = $2, pool = $3, deadline = $4, not_before = $5
				WHERE task_id = $6 AND period_start = $7 AND trigger_kind = $8 AND backfill_id = $9 AND state = 'waiting'`,
				p.VersionID, p.Priority, p.Pool, tsPtr(p.Deadline), ts(p.NotBefore),
				p.TaskID, ts(p.PeriodStart), string(p.Trigger), p.BackfillID)
			if err != nil {
				return wrap(err, what)
			}
		}
		ref, err = scanRef(tx.q().QueryRow(ctx, refSelect+`
			WHERE i.task_id = $1 AND i.period_start = $2 AND i.trigger_kind = $3 AND i.backfill_id = $4
			ORDER BY i.id DESC LIMIT 1`, p.TaskID, ts(p.PeriodStart), string(p.Trigger), p.BackfillID))
		return wrap(err, what)
	})
	return ref, created, err
}

// SetUpstreams replaces an instance's upstream edges and recounts it.
func (s *Store) SetUpstreams(ctx context.Context, id int64, ups []int64, at time.Time) (int, error) {
	what := fmt.Sprintf("upstreams of instance %d", id)
	var unmet int
	err := s.write(ctx, func(tx *Store) error {
		q := tx.q()
		if _, err := q.Exec(ctx, `DELETE FROM instance_deps WHERE down_id = $1`, id); err != nil {
			return wrap(err, what)
		}
		var nbroken int
		if len(ups) > 0 {
			if _, err := q.Exec(ctx, `
				INSERT INTO instance_deps (down_id, up_id) SELECT $1, u FROM unnest($2::bigint[]) u
				ON CONFLICT DO NOTHING`, id, ups); err != nil {
				return wrap(err, what)
			}
			err := q.QueryRow(ctx, `
				SELECT count(*) FILTER (WHERE state NOT IN ('success', 'skipped')),
					count(*) FILTER (WHERE state IN ('failed', 'killed', 'upstream_failed'))
				FROM instances WHERE id = ANY($1)`, ups).Scan(&unmet, &nbroken)
			if err != nil {
				return wrap(err, what)
			}
		}
		if _, err := q.Exec(ctx, `UPDATE instances SET unmet = $1 WHERE id = $2`, unmet, id); err != nil {
			return wrap(err, what)
		}
		var err error
		if nbroken > 0 {
			_, err = q.Exec(ctx, `
				UPDATE instances SET state = 'upstream_failed', error = 'an upstream instance failed'
				WHERE id = $1 AND state = 'waiting'`, id)
		} else if unmet == 0 {
			tag, e := q.Exec(ctx, `
				UPDATE instances SET state = 'queued', queued_at = $2
				WHERE id = $1 AND state = 'waiting' AND (not_before IS NULL OR not_before <= $2)`, id, ts(at))
			err = e
			if err == nil && tag.RowsAffected() > 0 {
				_, err = q.Exec(ctx, `SELECT pg_notify($1, '')`, QueueChannel)
			}
		}
		return wrap(err, what)
	})
	return unmet, err
}

// Upstreams lists the instances id waits for.
func (s *Store) Upstreams(ctx context.Context, id int64) ([]*meta.PlanRef, error) {
	rows, err := s.q().Query(ctx, refSelect+`
		JOIN instance_deps x ON x.up_id = i.id WHERE x.down_id = $1 ORDER BY t.name, i.period_start`, id)
	refs, err := collect(rows, err, scanRef)
	return refs, wrap(err, fmt.Sprintf("upstreams of instance %d", id))
}

// Downstreams lists the instances that wait for id.
func (s *Store) Downstreams(ctx context.Context, id int64) ([]*meta.PlanRef, error) {
	rows, err := s.q().Query(ctx, refSelect+`
		JOIN instance_deps x ON x.down_id = i.id WHERE x.up_id = $1 ORDER BY t.name, i.period_start`, id)
	refs, err := collect(rows, err, scanRef)
	return refs, wrap(err, fmt.Sprintf("downstreams of instance %d", id))
}

// PromoteDue queues due waiting instances with nothing unmet.
func (s *Store) PromoteDue(ctx context.Context, at time.Time) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *Store) error {
		tag, err := tx.q().Exec(ctx, `
			UPDATE instances SET state = 'queued', queued_at = $1
			WHERE state = 'waiting' AND unmet <= 0 AND not_before <= $1`, ts(at))
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		if n > 0 {
			_, err = tx.q().Exec(ctx, `SELECT pg_notify($1, '')`, QueueChannel)
		}
		return err
	})
	return n, wrap(err, "promote due instances")
}

// NextDue is the earliest time a held-back instance may go.
func (s *Store) NextDue(ctx context.Context) (*time.Time, error) {
	var t *time.Time
	err := s.q().QueryRow(ctx, `
		SELECT min(nb) FROM (
			SELECT min(not_before) AS nb FROM instances WHERE state = 'waiting' AND unmet <= 0
			UNION ALL
			SELECT min(not_before) FROM instances WHERE state = 'queued' AND not_before > $1) x`,
		now()).Scan(tmNull{&t})
	return t, wrap(err, "next due instance")
}

// AcquireLease takes or renews a named lease.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, until, at time.Time) (bool, error) {
	tag, err := s.q().Exec(ctx, `
		INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE leases.holder = excluded.holder OR leases.until < $4`, name, holder, ts(until), ts(at))
	if err != nil {
		return false, wrap(err, "lease "+name)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease gives a lease up.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.q().Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return wrap(err, "release lease "+name)
}

// CreateBackfill records a backfill.
func (s *Store) CreateBackfill(ctx context.Context, p *meta.CreateBackfillParams) (int64, error) {
	var id int64
	tasks, err := jsonText(p.Tasks)
	if err != nil {
		return 0, err
	}
	err = s.q().QueryRow(ctx, `
		INSERT INTO backfills (project_id, tasks, from_date, to_date, parallel, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		p.ProjectID, tasks, p.From, p.To, p.Parallel, p.CreatedBy, now()).Scan(&id)
	return id, wrap(err, "backfill")
}
