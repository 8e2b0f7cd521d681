package sqlitemeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.ScheduleStore = (*Store)(nil)

// The SQL of dependency bookkeeping; sqlite and pgmeta keep the same
// statements in their own dialects.
const (
	// downstreamWaiting walks from an instance down through waiting and
	// upstream_failed instances.
	downstreamSub = `
		WITH RECURSIVE d(id) AS (
			SELECT x.down_id FROM instance_deps x JOIN instances i ON i.id = x.down_id
			WHERE x.up_id = ? AND i.state IN ('waiting', 'upstream_failed')
			UNION
			SELECT x.down_id FROM instance_deps x JOIN d ON x.up_id = d.id
			JOIN instances i ON i.id = x.down_id AND i.state IN ('waiting', 'upstream_failed'))
		SELECT id FROM d`
)

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
	q := s.w()
	if broken(was) && !broken(to) {
		if _, err := q.ExecContext(ctx, `
			UPDATE instances SET state = 'waiting', ended_at = NULL, error = ''
			WHERE state = 'upstream_failed' AND id IN (`+downstreamSub+`)`, id); err != nil {
			return err
		}
	}
	switch {
	case !met(was) && met(to):
		if _, err := q.ExecContext(ctx, `
			UPDATE instances SET unmet = unmet - 1 WHERE id IN (SELECT down_id FROM instance_deps WHERE up_id = ?)`, id); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `
			UPDATE instances SET state = 'queued', queued_at = ?
			WHERE id IN (SELECT down_id FROM instance_deps WHERE up_id = ?)
				AND state = 'waiting' AND unmet <= 0 AND (not_before IS NULL OR not_before <= ?)`,
			fmtTime(n), id, fmtTime(n)); err != nil {
			return err
		}
	case met(was) && !met(to):
		if _, err := q.ExecContext(ctx, `
			UPDATE instances SET unmet = unmet + 1 WHERE id IN (SELECT down_id FROM instance_deps WHERE up_id = ?)`, id); err != nil {
			return err
		}
	}
	if (to == meta.StateFailed || to == meta.StateKilled) && !broken(was) {
		msg := fmt.Sprintf("upstream instance %d is %s", id, to)
		if _, err := q.ExecContext(ctx, `
			UPDATE instances SET state = 'upstream_failed', ended_at = ?, error = ?
			WHERE state = 'waiting' AND id IN (`+downstreamSub+`)`, fmtTime(n), msg, id); err != nil {
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
	tk, err := triggerLit(p.Trigger)
	if err != nil {
		return nil, err
	}
	q := refSelect + ` WHERE i.trigger_kind = ` + tk + ` AND i.backfill_id = ? AND i.period_start < ? AND i.period_end > ?`
	args := []any{p.BackfillID, fmtTime(p.To), fmtTime(p.From)}
	if p.TaskIDs != nil {
		q += ` AND i.task_id IN (SELECT value FROM json_each(?))`
		args = append(args, idList(p.TaskIDs))
	}
	rows, err := s.r().QueryContext(ctx, q+` ORDER BY i.period_start, i.id`, args...)
	refs, err := collect(rows, err, scanRef)
	if err != nil {
		return nil, wrap(err, "list planned instances")
	}
	return refs, nil
}

// triggerLit is t as an SQL literal. Trigger kinds are written into the
// SQL rather than bound: the partial unique index on scheduled periods
// names trigger_kind = 'schedule', and SQLite re-prepares a statement whose
// bound value decided whether a partial index applies every time that
// value is bound again, which made the planner's statements parse anew on
// every call.
func triggerLit(t meta.Trigger) (string, error) {
	switch t {
	case meta.TriggerSchedule, meta.TriggerBackfill, meta.TriggerManual, meta.TriggerRerun:
		return "'" + string(t) + "'", nil
	}
	return "", fmt.Errorf("planned instances: unknown trigger %q", t)
}

// PlanInstance creates a waiting instance unless one with its key exists.
func (s *Store) PlanInstance(ctx context.Context, p *meta.PlanInstanceParams) (*meta.PlanRef, bool, error) {
	what := fmt.Sprintf("planned instance of task %d for %s", p.TaskID, p.PeriodStart.Format(time.RFC3339))
	var ref *meta.PlanRef
	created := false
	tk, err := triggerLit(p.Trigger)
	if err != nil {
		return nil, false, err
	}
	err = s.write(ctx, func(tx *Store) error {
		n := fmtTime(now())
		res, err := tx.w().ExecContext(ctx, `
			INSERT INTO instances (project_id, task_id, version_id, bizdate, hour, state, trigger_kind, priority, pool,
				created_by, created_at, not_before, deadline, period_start, period_end, backfill_id)
			VALUES (?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			p.ProjectID, p.TaskID, p.VersionID, p.Bizdate, p.Hour, p.Trigger, p.Priority, p.Pool, p.CreatedBy, n,
			fmtTime(p.NotBefore), fmtTimePtr(p.Deadline), fmtTime(p.PeriodStart), fmtTime(p.PeriodEnd), p.BackfillID)
		k, err := affected(res, err)
		if err != nil {
			return wrap(err, what)
		}
		created = k == 1
		if !created {
			// Bring a waiting instance up to date with its task's version.
			_, err = tx.w().ExecContext(ctx, `
				UPDATE instances SET version_id = ?, priority = ?, pool = ?, deadline = ?, not_before = ?
				WHERE task_id = ? AND period_start = ? AND trigger_kind = `+tk+` AND backfill_id = ? AND state = 'waiting'`,
				p.VersionID, p.Priority, p.Pool, fmtTimePtr(p.Deadline), fmtTime(p.NotBefore),
				p.TaskID, fmtTime(p.PeriodStart), p.BackfillID)
			if err != nil {
				return wrap(err, what)
			}
		}
		ref, err = scanRef(tx.w().QueryRowContext(ctx, refSelect+`
			WHERE i.task_id = ? AND i.period_start = ? AND i.trigger_kind = `+tk+` AND i.backfill_id = ?
			ORDER BY i.id DESC LIMIT 1`, p.TaskID, fmtTime(p.PeriodStart), p.BackfillID))
		return wrap(err, what)
	})
	return ref, created, err
}

// SetUpstreams replaces an instance's upstream edges and recounts it.
func (s *Store) SetUpstreams(ctx context.Context, id int64, ups []int64, at time.Time) (int, error) {
	what := fmt.Sprintf("upstreams of instance %d", id)
	var unmet int
	err := s.write(ctx, func(tx *Store) error {
		q := tx.w()
		if _, err := q.ExecContext(ctx, `DELETE FROM instance_deps WHERE down_id = ?`, id); err != nil {
			return wrap(err, what)
		}
		list := idList(ups)
		if len(ups) > 0 {
			if _, err := q.ExecContext(ctx, `
				INSERT OR IGNORE INTO instance_deps (down_id, up_id) SELECT ?, value FROM json_each(?)`, id, list); err != nil {
				return wrap(err, what)
			}
		}
		// One statement counts the upstreams and moves the instance: to
		// upstream_failed when one is broken, to queued when none is unmet
		// and it is due; SET expressions see the row's old values.
		err := q.QueryRowContext(ctx, `
			UPDATE instances SET unmet = c.unmet,
				state = CASE WHEN state <> 'waiting' THEN state
					WHEN c.nbroken > 0 THEN 'upstream_failed'
					WHEN c.unmet = 0 AND (not_before IS NULL OR not_before <= ?3) THEN 'queued'
					ELSE state END,
				error = CASE WHEN state = 'waiting' AND c.nbroken > 0 THEN 'an upstream instance failed' ELSE error END,
				queued_at = CASE WHEN state = 'waiting' AND c.nbroken = 0 AND c.unmet = 0
					AND (not_before IS NULL OR not_before <= ?3) THEN ?3 ELSE queued_at END
			FROM (SELECT count(*) FILTER (WHERE state NOT IN ('success', 'skipped')) AS unmet,
					count(*) FILTER (WHERE state IN ('failed', 'killed', 'upstream_failed')) AS nbroken
				FROM instances WHERE id IN (SELECT value FROM json_each(?1))) AS c
			WHERE instances.id = ?2
			RETURNING instances.unmet`, list, id, fmtTime(at)).Scan(&unmet)
		if errors.Is(err, sql.ErrNoRows) {
			err = nil // no such instance: nothing to count, as before
		}
		return wrap(err, what)
	})
	return unmet, err
}

// Upstreams lists the instances id waits for.
func (s *Store) Upstreams(ctx context.Context, id int64) ([]*meta.PlanRef, error) {
	rows, err := s.r().QueryContext(ctx, refSelect+`
		JOIN instance_deps x ON x.up_id = i.id WHERE x.down_id = ? ORDER BY t.name, i.period_start`, id)
	refs, err := collect(rows, err, scanRef)
	return refs, wrap(err, fmt.Sprintf("upstreams of instance %d", id))
}

// Downstreams lists the instances that wait for id.
func (s *Store) Downstreams(ctx context.Context, id int64) ([]*meta.PlanRef, error) {
	rows, err := s.r().QueryContext(ctx, refSelect+`
		JOIN instance_deps x ON x.down_id = i.id WHERE x.up_id = ? ORDER BY t.name, i.period_start`, id)
	refs, err := collect(rows, err, scanRef)
	return refs, wrap(err, fmt.Sprintf("downstreams of instance %d", id))
}

// PromoteDue queues due waiting instances with nothing unmet.
func (s *Store) PromoteDue(ctx context.Context, at time.Time) (int, error) {
	res, err := s.w().ExecContext(ctx, `
		UPDATE instances SET state = 'queued', queued_at = ?
		WHERE state = 'waiting' AND unmet <= 0 AND not_before <= ?`, fmtTime(at), fmtTime(at))
	n, err := affected(res, err)
	return int(n), wrap(err, "promote due instances")
}

// NextDue is the earliest time a held-back instance may go.
func (s *Store) NextDue(ctx context.Context) (*time.Time, error) {
	var t *time.Time
	err := s.r().QueryRowContext(ctx, `
		SELECT min(nb) FROM (
			SELECT min(not_before) AS nb FROM instances WHERE state = 'waiting' AND unmet <= 0
			UNION ALL
			SELECT min(not_before) FROM instances WHERE state = 'queued' AND not_before > ?)`,
		fmtTime(now())).Scan(tmNull{&t})
	return t, wrap(err, "next due instance")
}

// AcquireLease takes or renews a named lease.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, until, at time.Time) (bool, error) {
	res, err := s.w().ExecContext(ctx, `
		INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE leases.holder = excluded.holder OR leases.until < ?`, name, holder, fmtTime(until), fmtTime(at))
	n, err := affected(res, err)
	return n == 1, wrap(err, "lease "+name)
}

// ReleaseLease gives a lease up.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.w().ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	return wrap(err, "release lease "+name)
}

// CreateBackfill records a backfill.
func (s *Store) CreateBackfill(ctx context.Context, p *meta.CreateBackfillParams) (int64, error) {
	var id int64
	err := s.w().QueryRowContext(ctx, `
		INSERT INTO backfills (project_id, tasks, from_date, to_date, parallel, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.ProjectID, mustJSON(p.Tasks), p.From, p.To, p.Parallel, p.CreatedBy, fmtTime(now())).Scan(&id)
	return id, wrap(err, "backfill")
}
