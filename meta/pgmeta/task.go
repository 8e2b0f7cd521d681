package pgmeta

import (
	"context"
	"errors"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

const taskCols = `id, project_id, name, type, status, current_version, owner, removed, created_at, updated_at`

func scanTask(r scanner) (*meta.Task, error) {
	t := &meta.Task{}
	err := r.Scan(&t.ID, &t.ProjectID, &t.Name, &t.Type, &t.Status, &t.CurrentVersion, &t.Owner, &t.Removed,
		tm{&t.CreatedAt}, tm{&t.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return t, nil
}

const versionCols = `id, task_id, version, spec, hash, author, message, created_at`

func scanVersion(r scanner) (*meta.Version, error) {
	v := &meta.Version{}
	err := r.Scan(&v.ID, &v.TaskID, &v.Version, jsonCol{&v.Spec}, &v.Hash, &v.Author, &v.Message, tm{&v.CreatedAt})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// CreateTask creates a task named by its spec, with the spec as version 1; a
// taken name is ErrConflict.
func (s *Store) CreateTask(ctx context.Context, p *meta.CreateTaskParams) (*meta.Task, *meta.Version, error) {
	what := fmt.Sprintf("task %q of project %d", p.Spec.Name, p.ProjectID)
	if p.Spec.Name == "" {
		return nil, nil, errors.New("create task: the spec has no name")
	}
	spec, err := jsonText(p.Spec)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: spec: %w", what, err)
	}
	var task *meta.Task
	var v *meta.Version
	err = s.write(ctx, func(tx *Store) error {
		var err error
		t := now()
		task, err = scanTask(tx.q().QueryRow(ctx, `
			INSERT INTO tasks (project_id, name, type, status, current_version, owner, removed, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 1, $5, false, $6, $6) RETURNING `+taskCols,
			p.ProjectID, p.Spec.Name, p.Spec.Type, meta.TaskActive, p.Spec.Owner, t))
		if err != nil {
			return wrap(err, what)
		}
		v, err = scanVersion(tx.q().QueryRow(ctx, `
			INSERT INTO task_versions (task_id, version, spec, hash, author, message, created_at)
			VALUES ($1, 1, $2, $3, $4, $5, $6) RETURNING `+versionCols,
			task.ID, spec, p.Hash, p.Author, p.Message, t))
		return wrap(err, what+" version 1")
	})
	if err != nil {
		return nil, nil, err
	}
	return task, v, nil
}

// AddVersion saves the next version of a task, makes it current and brings
// a removed task back. The task row is locked, so concurrent saves number
// their versions one after the other.
func (s *Store) AddVersion(ctx context.Context, p *meta.AddVersionParams) (*meta.Version, error) {
	var v *meta.Version
	err := s.write(ctx, func(tx *Store) error {
		task, err := scanTask(tx.q().QueryRow(ctx, `SELECT `+taskCols+` FROM tasks WHERE id = $1 FOR UPDATE`, p.TaskID))
		if err != nil {
			return wrap(err, fmt.Sprintf("task %d", p.TaskID))
		}
		sp := p.Spec
		if sp.Name == "" {
			sp.Name = task.Name
		} else if sp.Name != task.Name {
			return fmt.Errorf("task %q: a new version cannot rename it to %q", task.Name, sp.Name)
		}
		spec, err := jsonText(sp)
		if err != nil {
			return fmt.Errorf("task %q: spec: %w", task.Name, err)
		}
		next, t := task.CurrentVersion+1, now()
		what := fmt.Sprintf("task %q version %d", task.Name, next)
		v, err = scanVersion(tx.q().QueryRow(ctx, `
			INSERT INTO task_versions (task_id, version, spec, hash, author, message, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+versionCols,
			task.ID, next, spec, p.Hash, p.Author, p.Message, t))
		if err != nil {
			return wrap(err, what)
		}
		_, err = tx.q().Exec(ctx, `
			UPDATE tasks SET current_version = $1, type = $2, owner = $3, removed = false, updated_at = $4
			WHERE id = $5`, next, sp.Type, sp.Owner, t, task.ID)
		return wrap(err, what)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// GetTask returns a project's task by name, removed or not.
func (s *Store) GetTask(ctx context.Context, projectID int64, name string) (*meta.Task, error) {
	t, err := scanTask(s.q().QueryRow(ctx,
		`SELECT `+taskCols+` FROM tasks WHERE project_id = $1 AND name = $2`, projectID, name))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("task %q of project %d", name, projectID))
	}
	return t, nil
}

// GetTaskByID returns the task with the id.
func (s *Store) GetTaskByID(ctx context.Context, id int64) (*meta.Task, error) {
	t, err := scanTask(s.q().QueryRow(ctx, `SELECT `+taskCols+` FROM tasks WHERE id = $1`, id))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("task %d", id))
	}
	return t, nil
}

// ListTasks lists tasks by project and name.
func (s *Store) ListTasks(ctx context.Context, p *meta.ListTasksParams) ([]*meta.Task, error) {
	var w where
	if p.ProjectID != 0 {
		w.add("project_id = $%d", p.ProjectID)
	}
	if !p.IncludeRemoved {
		w.conds = append(w.conds, "NOT removed")
	}
	if p.Status != "" {
		w.add("status = $%d", string(p.Status))
	}
	rows, err := s.q().Query(ctx, `SELECT `+taskCols+` FROM tasks`+w.sql()+` ORDER BY project_id, name`, w.args...)
	ts, err := collect(rows, err, scanTask)
	if err != nil {
		return nil, wrap(err, "list tasks")
	}
	return ts, nil
}

// SetTaskStatus activates, pauses or offlines a task.
func (s *Store) SetTaskStatus(ctx context.Context, taskID int64, status meta.TaskStatus) error {
	switch status {
	case meta.TaskActive, meta.TaskPaused, meta.TaskOffline:
	default:
		return fmt.Errorf("task %d: unknown status %q", taskID, status)
	}
	tag, err := s.q().Exec(ctx, `UPDATE tasks SET status = $1, updated_at = $2 WHERE id = $3`,
		string(status), now(), taskID)
	return mustAffect(tag, err, fmt.Sprintf("task %d", taskID))
}

// RemoveTask marks a task removed; its versions and instances stay.
func (s *Store) RemoveTask(ctx context.Context, taskID int64) error {
	tag, err := s.q().Exec(ctx, `UPDATE tasks SET removed = true, updated_at = $1 WHERE id = $2`, now(), taskID)
	return mustAffect(tag, err, fmt.Sprintf("task %d", taskID))
}

// GetVersion returns one version of a task.
func (s *Store) GetVersion(ctx context.Context, taskID int64, version int) (*meta.Version, error) {
	v, err := scanVersion(s.q().QueryRow(ctx,
		`SELECT `+versionCols+` FROM task_versions WHERE task_id = $1 AND version = $2`, taskID, version))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("version %d of task %d", version, taskID))
	}
	return v, nil
}

// GetVersionByID returns the version with the id.
func (s *Store) GetVersionByID(ctx context.Context, id int64) (*meta.Version, error) {
	v, err := scanVersion(s.q().QueryRow(ctx, `SELECT `+versionCols+` FROM task_versions WHERE id = $1`, id))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("task version %d", id))
	}
	return v, nil
}

// ListVersions lists a task's versions, newest first.
func (s *Store) ListVersions(ctx context.Context, taskID int64) ([]*meta.Version, error) {
	rows, err := s.q().Query(ctx,
		`SELECT `+versionCols+` FROM task_versions WHERE task_id = $1 ORDER BY version DESC`, taskID)
	vs, err := collect(rows, err, scanVersion)
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("list versions of task %d", taskID))
	}
	return vs, nil
}
