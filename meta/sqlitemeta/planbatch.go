package sqlitemeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.PlanBatchStore = (*Store)(nil)

// chunkSizes are the row counts of the multi-row statements that write a
// plan: a batch goes in as statements of these sizes (largest first), so
// only four statement texts per kind are ever prepared and cached.
var chunkSizes = []int{256, 32, 4, 1}

// chunks splits n rows into statement sizes.
func chunks(n int) []int {
	var out []int
	for _, c := range chunkSizes {
		for ; n >= c; n -= c {
			out = append(out, c)
		}
	}
	return out
}

// valuesSQL is "(?, …), (?, …)…": rows tuples of cols parameters.
func valuesSQL(rows, cols int) string {
	tuple := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(tuple+", ", rows-1) + tuple
}

// CurrentVersions returns the current version of each of a project's tasks.
func (s *Store) CurrentVersions(ctx context.Context, projectID int64) (map[int64]*meta.Version, error) {
	rows, err := s.r().QueryContext(ctx, `
		SELECT v.id, v.task_id, v.version, v.spec, v.hash, v.author, v.message, v.created_at
		FROM tasks t JOIN task_versions v ON v.task_id = t.id AND v.version = t.current_version
		WHERE t.project_id = ? AND t.removed = 0`, projectID)
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
	tk, err := triggerLit(p.Trigger)
	if err != nil {
		return nil, err
	}
	q := `
		SELECT i.id, i.task_id, i.period_start, i.version_id, i.priority, i.pool, i.not_before, i.deadline,
			(SELECT group_concat(up_id) FROM instance_deps WHERE down_id = i.id)
		FROM instances i
		WHERE i.trigger_kind = ` + tk + ` AND i.backfill_id = ? AND i.state = 'waiting' AND i.period_start < ? AND i.period_end > ?`
	args := []any{p.BackfillID, fmtTime(p.To), fmtTime(p.From)}
	if p.TaskIDs != nil {
		q += ` AND i.task_id IN (SELECT value FROM json_each(?))`
		args = append(args, idList(p.TaskIDs))
	}
	rows, err := s.r().QueryContext(ctx, q+` ORDER BY i.id`, args...)
	out, err := collect(rows, err, func(r scanner) (*meta.PlannedWaiting, error) {
		w := &meta.PlannedWaiting{}
		var ups sql.NullString
		if err := r.Scan(&w.ID, &w.TaskID, tm{&w.Start}, &w.VersionID, &w.Priority, &w.Pool, tmNull{&w.NotBefore},
			tmNull{&w.Deadline}, &ups); err != nil {
			return nil, err
		}
		var err error
		w.Ups, err = parseIDs(ups.String)
		return w, err
	})
	return out, wrap(err, "list waiting planned instances")
}

// parseIDs reads a group_concat of ids, returning them ascending.
func parseIDs(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	ids := make([]int64, len(parts))
	for i, p := range parts {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("upstream id %q: %w", p, err)
		}
		ids[i] = id
	}
	return meta.SortedIDs(ids), nil
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
		for _, c := range chunks(len(fresh)) {
			if err := tx.insertPlanned(ctx, fresh[:c], at); err != nil {
				return err
			}
			fresh = fresh[c:]
		}
		created = len(ws) - len(updates)
		if err := tx.updatePlanned(ctx, updates); err != nil {
			return err
		}
		if err := tx.insertEdges(ctx, ws); err != nil {
			return err
		}
		return tx.countPlanned(ctx, ws, at)
	})
	return created, err
}

// plannedCols is how many parameters a new instance binds.
const plannedCols = 18

// appendPlanned appends w's parameters in insertPlanned's column order.
func appendPlanned(args []any, w *meta.PlanWrite, created string, at time.Time) []any {
	state, queuedAt := "waiting", any(nil)
	if !w.Count && w.Unmet == 0 && !w.NotBefore.After(at) {
		state, queuedAt = "queued", fmtTime(at)
	}
	unmet := w.Unmet
	if w.Count {
		unmet = 0 // counted after the edges are in
	}
	return append(args, w.ProjectID, w.TaskID, w.VersionID, w.Bizdate, w.Hour, state, string(w.Trigger), w.Priority,
		w.Pool, w.CreatedBy, created, fmtTime(w.NotBefore), fmtTimePtr(w.Deadline), fmtTime(w.PeriodStart),
		fmtTime(w.PeriodEnd), w.BackfillID, unmet, queuedAt)
}

func (s *Store) insertPlanned(ctx context.Context, ws []*meta.PlanWrite, at time.Time) error {
	args := make([]any, 0, len(ws)*plannedCols)
	byKey := make(map[string]*meta.PlanWrite, len(ws))
	created := fmtTime(now())
	for _, w := range ws {
		if _, err := triggerLit(w.Trigger); err != nil {
			return err
		}
		args = appendPlanned(args, w, created, at)
		byKey[strconv.FormatInt(w.TaskID, 10)+"|"+fmtTime(w.PeriodStart)] = w
	}
	res, err := s.w().QueryContext(ctx, `
		INSERT INTO instances (project_id, task_id, version_id, bizdate, hour, state, trigger_kind, priority, pool,
			created_by, created_at, not_before, deadline, period_start, period_end, backfill_id, unmet, queued_at)
		VALUES `+valuesSQL(len(ws), plannedCols)+` ON CONFLICT DO NOTHING
		RETURNING id, task_id, period_start`, args...)
	if err != nil {
		return wrap(err, "plan instances")
	}
	defer res.Close()
	n := 0
	for res.Next() {
		var id, task int64
		var start string
		if err := res.Scan(&id, &task, &start); err != nil {
			return wrap(err, "plan instances")
		}
		if w := byKey[strconv.FormatInt(task, 10)+"|"+start]; w != nil {
			w.ID = id
			n++
		}
	}
	if err := res.Err(); err != nil {
		return wrap(err, "plan instances")
	}
	if n != len(ws) {
		return fmt.Errorf("plan instances: %d of %d: %w", len(ws)-n, len(ws), meta.ErrPlanConflict)
	}
	return nil
}

// updatePlanned brings waiting instances up to date and drops their edges.
func (s *Store) updatePlanned(ctx context.Context, ws []*meta.PlanWrite) error {
	for _, w := range ws {
		_, err := s.w().ExecContext(ctx, `
			UPDATE instances SET version_id = ?, priority = ?, pool = ?, deadline = ?, not_before = ?
			WHERE id = ? AND state = 'waiting'`,
			w.VersionID, w.Priority, w.Pool, fmtTimePtr(w.Deadline), fmtTime(w.NotBefore), w.ID)
		if err == nil {
			_, err = s.w().ExecContext(ctx, `DELETE FROM instance_deps WHERE down_id = ?`, w.ID)
		}
		if err != nil {
			return wrap(err, fmt.Sprintf("replan instance %d", w.ID))
		}
	}
	return nil
}

// insertEdges writes every item's upstream edges, many per statement.
func (s *Store) insertEdges(ctx context.Context, ws []*meta.PlanWrite) error {
	var args []any
	for _, w := range ws {
		for _, up := range w.PlanEdgeIDs() {
			if up == 0 {
				return errors.New("plan instance edges: an upstream has no id yet")
			}
			args = append(args, w.ID, up)
		}
	}
	for _, c := range chunks(len(args) / 2) {
		_, err := s.w().ExecContext(ctx, `
			INSERT OR IGNORE INTO instance_deps (down_id, up_id) VALUES `+valuesSQL(c, 2), args[:2*c]...)
		if err != nil {
			return wrap(err, "plan instance edges")
		}
		args = args[2*c:]
	}
	return nil
}

// countPlanned counts the unmet upstreams of the items that asked for it
// from the states in the store, in order, and moves them as SetUpstreams
// does.
func (s *Store) countPlanned(ctx context.Context, ws []*meta.PlanWrite, at time.Time) error {
	for _, w := range ws {
		if !w.Count && !w.Update {
			continue
		}
		var st string
		err := s.w().QueryRowContext(ctx, `
			UPDATE instances SET unmet = c.unmet,
				state = CASE WHEN state <> 'waiting' THEN state
					WHEN c.nbroken > 0 THEN 'upstream_failed'
					WHEN c.unmet = 0 AND (not_before IS NULL OR not_before <= ?2) THEN 'queued'
					ELSE state END,
				error = CASE WHEN state = 'waiting' AND c.nbroken > 0 THEN 'an upstream instance failed' ELSE error END,
				queued_at = CASE WHEN state = 'waiting' AND c.nbroken = 0 AND c.unmet = 0
					AND (not_before IS NULL OR not_before <= ?2) THEN ?2 ELSE queued_at END
			FROM (SELECT count(*) FILTER (WHERE u.state NOT IN ('success', 'skipped')) AS unmet,
					count(*) FILTER (WHERE u.state IN ('failed', 'killed', 'upstream_failed')) AS nbroken
				FROM instance_deps x JOIN instances u ON u.id = x.up_id WHERE x.down_id = ?1) AS c
			WHERE instances.id = ?1
			RETURNING instances.state`, w.ID, fmtTime(at)).Scan(&st)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return wrap(err, fmt.Sprintf("upstreams of instance %d", w.ID))
		}
		if st == string(meta.StateUpstreamFailed) {
			// Downstream instances left as they were on this replan wait
			// for it: they cannot run now either.
			if _, err := s.w().ExecContext(ctx, `
				UPDATE instances SET state = 'upstream_failed', ended_at = ?, error = ?
				WHERE state = 'waiting' AND id IN (`+downstreamSub+`)`,
				fmtTime(at), fmt.Sprintf("upstream instance %d is upstream_failed", w.ID), w.ID); err != nil {
				return wrap(err, fmt.Sprintf("downstreams of instance %d", w.ID))
			}
		}
	}
	return nil
}
