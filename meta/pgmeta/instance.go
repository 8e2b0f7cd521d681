package pgmeta

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// DefaultListLimit is the page size of ListInstances when none is given.
const DefaultListLimit = 100

const instanceSelect = `
	SELECT i.id, i.project_id, i.task_id, t.name, i.version_id, v.version, i.bizdate, i.hour, i.state,
		i.trigger_kind, i.priority, i.pool, i.attempt, i.params, i.created_by, i.created_at, i.queued_at,
		i.started_at, i.ended_at, i.duration_ms, i.rows_written, i.rendered, i.error, i.cpu_seconds,
		i.worker, i.lease_until, i.not_before, i.unmet, i.deadline, i.period_start, i.period_end, i.backfill_id
	FROM instances i
	JOIN tasks t ON t.id = i.task_id
	JOIN task_versions v ON v.id = i.version_id`

func scanInstance(r scanner) (*meta.Instance, error) {
	in := &meta.Instance{}
	err := r.Scan(&in.ID, &in.ProjectID, &in.TaskID, &in.TaskName, &in.VersionID, &in.Version, &in.Bizdate,
		&in.Hour, &in.State, &in.Trigger, &in.Priority, &in.Pool, &in.Attempt, jsonCol{&in.Params},
		&in.CreatedBy, tm{&in.CreatedAt}, tmNull{&in.QueuedAt}, tmNull{&in.StartedAt}, tmNull{&in.EndedAt},
		&in.DurationMs, &in.RowsWritten, &in.Rendered, &in.Error, &in.CPUSeconds, &in.Worker,
		tmNull{&in.LeaseUntil}, tmNull{&in.NotBefore}, &in.Unmet, tmNull{&in.Deadline}, tmNull{&in.PeriodStart},
		tmNull{&in.PeriodEnd}, &in.BackfillID)
	if err != nil {
		return nil, err
	}
	return in, nil
}

// CreateInstance creates an instance of a task version, waiting unless
// p.State is queued.
func (s *Store) CreateInstance(ctx context.Context, p *meta.CreateInstanceParams) (*meta.Instance, error) {
	what := fmt.Sprintf("instance of task %d version id %d for %s", p.TaskID, p.VersionID, p.Bizdate)
	state, trigger := cmp.Or(p.State, meta.StateWaiting), cmp.Or(p.Trigger, meta.TriggerManual)
	if state != meta.StateWaiting && state != meta.StateQueued {
		return nil, fmt.Errorf("%s: a new instance is waiting or queued, not %s", what, state)
	}
	if _, err := time.Parse(time.DateOnly, p.Bizdate); err != nil || p.Hour < 0 || p.Hour > 23 {
		return nil, fmt.Errorf("%s: bizdate must be YYYY-MM-DD and hour 0-23, got %q hour %d", what, p.Bizdate, p.Hour)
	}
	var out *meta.Instance
	err := s.write(ctx, func(tx *Store) error {
		var projectID int64
		err := tx.q().QueryRow(ctx, `
			SELECT t.project_id FROM task_versions v JOIN tasks t ON t.id = v.task_id
			WHERE v.id = $1 AND v.task_id = $2`, p.VersionID, p.TaskID).Scan(&projectID)
		if err != nil {
			return wrap(err, what+": task version")
		}
		if p.ProjectID != 0 && p.ProjectID != projectID {
			return fmt.Errorf("%s: the task is not in project %d: %w", what, p.ProjectID, meta.ErrNotFound)
		}
		n := now()
		var queued *time.Time
		if state == meta.StateQueued {
			queued = &n
		}
		var id int64
		err = tx.q().QueryRow(ctx, `
			INSERT INTO instances (project_id, task_id, version_id, bizdate, hour, state, trigger_kind,
				priority, pool, params, created_by, created_at, queued_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			projectID, p.TaskID, p.VersionID, p.Bizdate, p.Hour, string(state), string(trigger),
			p.Priority, p.Pool, mapText(p.Params), p.CreatedBy, n, queued).Scan(&id)
		if err != nil {
			return wrap(err, what)
		}
		out, err = tx.GetInstance(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetInstance returns the instance with the id.
func (s *Store) GetInstance(ctx context.Context, id int64) (*meta.Instance, error) {
	in, err := scanInstance(s.q().QueryRow(ctx, instanceSelect+` WHERE i.id = $1`, id))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("instance %d", id))
	}
	return in, nil
}

// ListInstances lists instances newest first.
func (s *Store) ListInstances(ctx context.Context, p *meta.ListInstancesParams) ([]*meta.Instance, error) {
	w := instanceFilter(p)
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	q := instanceSelect + w.sql() + ` ORDER BY i.id DESC LIMIT ` + w.next(limit) + ` OFFSET ` + w.next(max(p.Offset, 0))
	rows, err := s.q().Query(ctx, q, w.args...)
	ins, err := collect(rows, err, scanInstance)
	if err != nil {
		return nil, wrap(err, "list instances")
	}
	return ins, nil
}

// CountInstances counts what ListInstances would list without paging.
func (s *Store) CountInstances(ctx context.Context, p *meta.ListInstancesParams) (int, error) {
	w := instanceFilter(p)
	var n int
	if err := s.q().QueryRow(ctx, `SELECT count(*) FROM instances i`+w.sql(), w.args...).Scan(&n); err != nil {
		return 0, wrap(err, "count instances")
	}
	return n, nil
}

// instanceFilter is the WHERE clause of ListInstancesParams. Owner and tier
// select the project's few tasks first, so the instances are found through
// their task's index.
func instanceFilter(p *meta.ListInstancesParams) *where {
	w := &where{}
	if p.ProjectID != 0 {
		w.add("i.project_id = $%d", p.ProjectID)
	}
	if p.TaskID != 0 {
		w.add("i.task_id = $%d", p.TaskID)
	}
	if len(p.States) > 0 {
		states := make([]string, len(p.States))
		for i, st := range p.States {
			states[i] = string(st)
		}
		w.add("i.state = ANY($%d)", states)
	}
	if p.BizdateFrom != "" {
		w.add("i.bizdate >= $%d", p.BizdateFrom)
	}
	if p.BizdateTo != "" {
		w.add("i.bizdate <= $%d", p.BizdateTo)
	}
	if p.Owner != "" {
		w.add("i.task_id IN (SELECT ot.id FROM tasks ot WHERE ot.owner = $%d)", p.Owner)
	}
	if p.Tier != "" {
		// A task without a tier is normal.
		w.add(`i.task_id IN (SELECT tt.id FROM tasks tt JOIN task_versions tv ON tv.task_id = tt.id AND tv.version = tt.current_version
			WHERE coalesce(nullif(tv.spec->>'tier', ''), 'normal') = $%d)`, string(p.Tier))
	}
	return w
}

// TransitionInstance moves an instance as meta.TransitionParams.Apply says
// and keeps its attempts in step: entering running starts an attempt,
// leaving running ends the latest one with the new state, end time and error.
// The instance row is locked for the move, so concurrent moves of one
// instance happen one after the other and the From check sees the truth.
func (s *Store) TransitionInstance(ctx context.Context, p *meta.TransitionParams) (*meta.Instance, error) {
	var out *meta.Instance
	err := s.write(ctx, func(tx *Store) error {
		in, err := scanInstance(tx.q().QueryRow(ctx, instanceSelect+` WHERE i.id = $1 FOR UPDATE OF i`, p.ID))
		if err != nil {
			return wrap(err, fmt.Sprintf("instance %d", p.ID))
		}
		was, n := in.State, now()
		if err := p.Apply(in, n); err != nil {
			return err
		}
		what := fmt.Sprintf("instance %d", in.ID)
		_, err = tx.q().Exec(ctx, `
			UPDATE instances SET state = $1, attempt = $2, queued_at = $3, started_at = $4, ended_at = $5,
				duration_ms = $6, rows_written = $7, rendered = $8, error = $9, cpu_seconds = $10,
				worker = $11, lease_until = $12, not_before = $13
			WHERE id = $14`,
			string(in.State), in.Attempt, tsPtr(in.QueuedAt), tsPtr(in.StartedAt), tsPtr(in.EndedAt),
			in.DurationMs, in.RowsWritten, in.Rendered, in.Error, in.CPUSeconds,
			in.Worker, tsPtr(in.LeaseUntil), tsPtr(in.NotBefore), in.ID)
		if err != nil {
			return wrap(err, what)
		}
		if err := tx.followDeps(ctx, in.ID, was, in.State, n); err != nil {
			return wrap(err, what+" downstream")
		}
		switch {
		case was == meta.StateRunning:
			ended := n
			if in.EndedAt != nil {
				ended = ts(*in.EndedAt)
			}
			_, err = tx.q().Exec(ctx, `
				UPDATE attempts SET state = $1, ended_at = $2, error = $3 WHERE instance_id = $4 AND attempt = $5`,
				string(in.State), ended, in.Error, in.ID, in.Attempt)
		case in.State == meta.StateRunning:
			_, err = tx.q().Exec(ctx, `
				INSERT INTO attempts (instance_id, attempt, state, worker, started_at) VALUES ($1, $2, $3, $4, $5)`,
				in.ID, in.Attempt, string(in.State), in.Worker, ts(*in.StartedAt))
		}
		if err != nil {
			return wrap(err, what+" attempt")
		}
		out, err = tx.GetInstance(ctx, in.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const attemptCols = `instance_id, attempt, state, worker, started_at, ended_at, error`

func scanAttempt(r scanner) (*meta.Attempt, error) {
	a := &meta.Attempt{}
	err := r.Scan(&a.InstanceID, &a.Attempt, &a.State, &a.Worker, tm{&a.StartedAt}, tmNull{&a.EndedAt}, &a.Error)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// ListAttempts lists an instance's attempts, first first.
func (s *Store) ListAttempts(ctx context.Context, instanceID int64) ([]*meta.Attempt, error) {
	rows, err := s.q().Query(ctx,
		`SELECT `+attemptCols+` FROM attempts WHERE instance_id = $1 ORDER BY attempt`, instanceID)
	as, err := collect(rows, err, scanAttempt)
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("list attempts of instance %d", instanceID))
	}
	return as, nil
}
