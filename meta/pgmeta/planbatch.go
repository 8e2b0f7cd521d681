package pgmeta

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.PlanBatchStore = (*Store)(nil)

// planChunk is how many instances one INSERT writes (as arrays, one per
// column, unnested).
const planChunk = 5000

// CurrentVersions returns the current version of each of a project's tasks.
func (s *Store) CurrentVersions(ctx context.Context, projectID int64) (map[int64]*meta.Version, error) {
	rows, err := s.q().Query(ctx, `
		SELECT v.id, v.task_id, v.version, v.spec, v.hash, v.author, v.message, v.created_at
		FROM tasks t JOIN task_versions v ON v.task_id = t.id AND v.version = t.current_version
		WHERE t.project_id = $1 AND NOT t.removed`, projectID)
	vs, err := collect(rows, err, scanVersion)
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("current versions of project %d", projectID))
	}
	out := make(map[int64]*meta.Version, len(vs))
	for _, v := range vs {
		out[v.TaskID] = v
	}
	return out, nil
}

// ListPlannedWaiting lists waiting planned instances with their edges.
func (s *Store) ListPlannedWaiting(ctx context.Context, p *meta.ListPeriodParams) ([]*meta.PlannedWaiting, error) {
	q := `
		SELECT i.id, i.task_id, i.period_start, i.version_id, i.priority, i.pool, i.not_before, i.deadline,
			coalesce((SELECT array_agg(up_id ORDER BY up_id) FROM instance_deps WHERE down_id = i.id), '{}')
		FROM instances i
		WHERE i.trigger_kind = $1 AND i.backfill_id = $2 AND i.state = 'waiting' AND i.period_start < $3 AND i.period_end > $4`
	args := []any{string(p.Trigger), p.BackfillID, ts(p.To), ts(p.From)}
	if p.TaskIDs != nil {
		q += ` AND i.task_id = ANY($5)`
		args = append(args, p.TaskIDs)
	}
	rows, err := s.q().Query(ctx, q+` ORDER BY i.id`, args...)
	out, err := collect(rows, err, func(r scanner) (*meta.PlannedWaiting, error) {
		w := &meta.PlannedWaiting{}
		var start *time.Time
		err := r.Scan(&w.ID, &w.TaskID, tmNull{&start}, &w.VersionID, &w.Priority, &w.Pool, tmNull{&w.NotBefore},
			tmNull{&w.Deadline}, &w.Ups)
		if start != nil {
			w.Start = *start
		}
		return w, err
	})
	return out, wrap(err, "list waiting planned instances")
}

// PlanInstances writes a planning batch in one transaction.
func (s *Store) PlanInstances(ctx context.Context, ws []*meta.PlanWrite, at time.Time) (int, error) {
	created := 0
	err := s.write(ctx, func(tx *Store) error {
		var fresh, updates []*meta.PlanWrite
		for _, w := range ws {
			if w.Update {
				updates = append(updates, w)
			} else {
				fresh = append(fresh, w)
			}
		}
		queued := false
		for i := 0; i < len(fresh); i += planChunk {
			q, err := tx.insertPlanned(ctx, fresh[i:min(i+planChunk, len(fresh))], at)
			if err != nil {
				return err
			}
			queued = queued || q
		}
		created = len(fresh)
		if err := tx.updatePlanned(ctx, updates); err != nil {
			return err
		}
		if err := tx.insertEdges(ctx, ws); err != nil {
			return err
		}
		q, err := tx.countPlanned(ctx, ws, at)
		if err != nil {
			return err
		}
		if queued || q {
			_, err = tx.q().Exec(ctx, `SELECT pg_notify($1, '')`, QueueChannel)
		}
		return err
	})
	return created, err
}

// insertPlanned inserts new instances, one array per column, and reports
// whether any starts queued.
func (s *Store) insertPlanned(ctx context.Context, ws []*meta.PlanWrite, at time.Time) (bool, error) {
	n := len(ws)
	var (
		proj, task, ver, bf    = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		hour, prio, unmet      = make([]int32, n), make([]int32, n), make([]int32, n)
		biz, state, trig, pool = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		by                     = make([]string, n)
		nb, ps, pe             = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		deadline, queuedAt     = make([]*time.Time, n), make([]*time.Time, n)
		byKey                  = make(map[planKey]*meta.PlanWrite, n)
		queued                 bool
		atTS                   = ts(at)
	)
	for i, w := range ws {
		proj[i], task[i], ver[i], bf[i] = w.ProjectID, w.TaskID, w.VersionID, w.BackfillID
		hour[i], prio[i] = int32(w.Hour), int32(w.Priority)
		biz[i], state[i], trig[i], pool[i], by[i] = w.Bizdate, "waiting", string(w.Trigger), w.Pool, w.CreatedBy
		nb[i], ps[i], pe[i], deadline[i] = ts(w.NotBefore), ts(w.PeriodStart), ts(w.PeriodEnd), tsPtr(w.Deadline)
		if !w.Count {
			unmet[i] = int32(w.Unmet)
			if w.Unmet == 0 && !w.NotBefore.After(at) {
				state[i], queuedAt[i], queued = "queued", &atTS, true
			}
		}
		byKey[planKey{w.TaskID, ps[i].UnixMicro()}] = w
	}
	rows, err := s.q().Query(ctx, `
		INSERT INTO instances (project_id, task_id, version_id, bizdate, hour, state, trigger_kind, priority, pool,
			created_by, created_at, not_before, deadline, period_start, period_end, backfill_id, unmet, queued_at)
		SELECT u.p, u.t, u.v, u.b, u.h, u.s, u.k, u.pr, u.pl, u.by, $1, u.nb, u.dl, u.ps, u.pe, u.bf, u.um, u.qa
		FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::int[], $7::text[], $8::text[], $9::int[],
			$10::text[], $11::text[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $15::timestamptz[],
			$16::bigint[], $17::int[], $18::timestamptz[])
			AS u(p, t, v, b, h, s, k, pr, pl, by, nb, dl, ps, pe, bf, um, qa)
		RETURNING id, task_id, period_start`,
		now(), proj, task, ver, biz, hour, state, trig, prio, pool, by, nb, deadline, ps, pe, bf, unmet, queuedAt)
	if err != nil {
		return false, planInsertErr(err)
	}
	got := 0
	var id, tid int64
	var start time.Time
	_, err = pgx.ForEachRow(rows, []any{&id, &tid, &start}, func() error {
		if w := byKey[planKey{tid, start.UnixMicro()}]; w != nil {
			w.ID = id
			got++
		}
		return nil
	})
	if err != nil {
		return false, planInsertErr(err)
	}
	if got != n {
		return false, fmt.Errorf("plan instances: %d of %d: %w", n-got, n, meta.ErrPlanConflict)
	}
	return queued, nil
}

// planInsertErr is ErrPlanConflict for an instance that exists already:
// no ON CONFLICT clause, since Postgres then inserts each row speculatively
// (and checks every unique index) and the transaction is rolled back
// either way.
func planInsertErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("plan instances: %s: %w", pe.Detail, meta.ErrPlanConflict)
	}
	return wrap(err, "plan instances")
}

type planKey struct {
	task  int64
	start int64 // period start, µs since the epoch
}

// updatePlanned brings waiting instances up to date and drops their edges.
func (s *Store) updatePlanned(ctx context.Context, ws []*meta.PlanWrite) error {
	if len(ws) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
		b.Queue(`UPDATE instances SET version_id = $1, priority = $2, pool = $3, deadline = $4, not_before = $5
			WHERE id = $6 AND state = 'waiting'`,
			w.VersionID, w.Priority, w.Pool, tsPtr(w.Deadline), ts(w.NotBefore), w.ID)
	}
	b.Queue(`DELETE FROM instance_deps WHERE down_id = ANY($1)`, ids)
	return wrap(s.sendBatch(ctx, b), "replan instances")
}

// sendBatch runs b in the store's transaction (or on the pool).
func (s *Store) sendBatch(ctx context.Context, b *pgx.Batch) error {
	if s.tx != nil {
		return s.tx.SendBatch(ctx, b).Close()
	}
	return s.pool.SendBatch(ctx, b).Close()
}

// insertEdges writes every item's upstream edges in one statement.
func (s *Store) insertEdges(ctx context.Context, ws []*meta.PlanWrite) error {
	var downs, ups []int64
	for _, w := range ws {
		for _, up := range w.PlanEdgeIDs() {
			if up == 0 {
				return fmt.Errorf("plan instance edges: an upstream of instance %d has no id yet", w.ID)
			}
			downs, ups = append(downs, w.ID), append(ups, up)
		}
	}
	if len(downs) == 0 {
		return nil
	}
	_, err := s.q().Exec(ctx, `
		INSERT INTO instance_deps (down_id, up_id) SELECT * FROM unnest($1::bigint[], $2::bigint[])
		ON CONFLICT DO NOTHING`, downs, ups)
	return wrap(err, "plan instance edges")
}

// countPlanned counts the unmet upstreams of the items that asked for it,
// in order, and moves them as SetUpstreams does; it reports whether one
// was queued.
func (s *Store) countPlanned(ctx context.Context, ws []*meta.PlanWrite, at time.Time) (bool, error) {
	queued := false
	for _, w := range ws {
		if !w.Count && !w.Update {
			continue
		}
		var st string
		err := s.q().QueryRow(ctx, `
			UPDATE instances SET unmet = c.unmet,
				state = CASE WHEN instances.state <> 'waiting' THEN instances.state
					WHEN c.nbroken > 0 THEN 'upstream_failed'
					WHEN c.unmet = 0 AND (instances.not_before IS NULL OR instances.not_before <= $2) THEN 'queued'
					ELSE instances.state END,
				error = CASE WHEN instances.state = 'waiting' AND c.nbroken > 0 THEN 'an upstream instance failed'
					ELSE instances.error END,
				queued_at = CASE WHEN instances.state = 'waiting' AND c.nbroken = 0 AND c.unmet = 0
					AND (instances.not_before IS NULL OR instances.not_before <= $2) THEN $2 ELSE instances.queued_at END
			FROM (SELECT count(*) FILTER (WHERE u.state NOT IN ('success', 'skipped')) AS unmet,
					count(*) FILTER (WHERE u.state IN ('failed', 'killed', 'upstream_failed')) AS nbroken
				FROM instance_deps x JOIN instances u ON u.id = x.up_id WHERE x.down_id = $1) AS c
			WHERE instances.id = $1
			RETURNING instances.state`, w.ID, ts(at)).Scan(&st)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return false, wrap(err, fmt.Sprintf("upstreams of instance %d", w.ID))
		}
		queued = queued || st == string(meta.StateQueued)
		if st == string(meta.StateUpstreamFailed) {
			// Downstream instances left as they were on this replan wait
			// for it: they cannot run now either.
			if _, err := s.q().Exec(ctx, `
				UPDATE instances SET state = 'upstream_failed', ended_at = $2, error = $3
				WHERE state = 'waiting' AND id IN (`+downstreamSub+`)`,
				w.ID, ts(at), fmt.Sprintf("upstream instance %d is upstream_failed", w.ID)); err != nil {
				return false, wrap(err, fmt.Sprintf("downstreams of instance %d", w.ID))
			}
		}
	}
	return queued, nil
}
