package sqlitemeta

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
		t := fmtTime(now())
		task, err = scanTask(tx.w().QueryRowContext(ctx, `
			INSERT INTO tasks (project_id, name, type, status, current_version, owner, removed, created_at, updated_at)
			VALUES (?, ?, ?, ?, 1, ?, 0, ?, ?) RETURNING `+taskCols,
			p.ProjectID, p.Spec.Name, p.Spec.Type, meta.TaskActive, p.Spec.Owner, t, t))
		if err != nil {
			return wrap(err, what)
		}
		v, err = scanVersion(tx.w().QueryRowContext(ctx, `
			INSERT INTO task_versions (task_id, version, spec, hash, author, message, created_at)
			VALUES (?, 1, ?, ?, ?, ?, ?) RETURNING `+versionCols,
			task.ID, spec, p.Hash, p.Author, p.Message, t))
		return wrap(err, what+" version 1")
	})
	if err != nil {
		return nil, nil, err
	}
	return task, v, nil
}

// AddVersion saves the next version of a task, makes it current and brings
// a removed task back.
func (s *Store) AddVersion(ctx context.Context, p *meta.AddVersionParams) (*meta.Version, error) {
	var v *meta.Version
	err := s.write(ctx, func(tx *Store) error {
		task, err := tx.GetTaskByID(ctx, p.TaskID)
		if err != nil {
			return err
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
		next, t := task.CurrentVersion+1, fmtTime(now())
		what := fmt.Sprintf("task %q version %d", task.Name, next)
		v, err = scanVersion(tx.w().QueryRowContext(ctx, `
			INSERT INTO task_versions (task_id, version, spec, hash, author, message, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+versionCols,
			task.ID, next, spec, p.Hash, p.Author, p.Message, t))
		if err != nil {
			return wrap(err, what)
		}
		_, err = tx.w().ExecContext(ctx, `
			UPDATE tasks SET current_version = ?, type = ?, owner = ?, removed = 0, updated_at = ?
			WHERE id = ?`, next, sp.Type, sp.Owner, t, task.ID)
		return wrap(err, what)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// GetTask returns a project's task by name, removed or not.
func (s *Store) GetTask(ctx context.Context, projectID int64, name string) (*meta.Task, error) {
	t, err := scanTask(s.r().QueryRowContext(ctx,
		`SELECT `+taskCols+` FROM tasks WHERE project_id = ? AND name = ?`, projectID, name))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("task %q of project %d", name, projectID))
	}
	return t, nil
}

// GetTaskByID returns the task with the id.
func (s *Store) GetTaskByID(ctx context.Context, id int64) (*meta.Task, error) {
	t, err := scanTask(s.r().QueryRowContext(ctx, `SELECT `+taskCols+` FROM tasks WHERE id = ?`, id))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("task %d", id))
	}
	return t, nil
}

// ListTasks lists tasks by project and name.
func (s *Store) ListTasks(ctx context.Context, p *meta.ListTasksParams) ([]*meta.Task, error) {
	var where []string
	var args []any
	if p.ProjectID != 0 {
		where, args = append(where, "project_id = ?"), append(args, p.ProjectID)
	}
	if !p.IncludeRemoved {
		where = append(where, "removed = 0")
	}
	if p.Status != "" {
		where, args = append(where, "status = ?"), append(args, p.Status)
	}
	q := `SELECT ` + taskCols + ` FROM tasks`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := s.r().QueryContext(ctx, q+` ORDER BY project_id, name`, args...)
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
	res, err := s.w().ExecContext(ctx, `UPDATE tasks SET status = ?, updated_at = ? WHERE id = ?`,
		status, fmtTime(now()), taskID)
	return mustAffect(res, err, fmt.Sprintf("task %d", taskID))
}

// RemoveTask marks a task removed; its versions and instances stay.
func (s *Store) RemoveTask(ctx context.Context, taskID int64) error {
	res, err := s.w().ExecContext(ctx, `UPDATE tasks SET removed = 1, updated_at = ? WHERE id = ?`,
		fmtTime(now()), taskID)
	return mustAffect(res, err, fmt.Sprintf("task %d", taskID))
}

// GetVersion returns one version of a task.
func (s *Store) GetVersion(ctx context.Context, taskID int64, version int) (*meta.Version, error) {
	v, err := scanVersion(s.r().QueryRowContext(ctx,
		`SELECT `+versionCols+` FROM task_versions WHERE task_id = ? AND version = ?`, taskID, version))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("version %d of task %d", version, taskID))
	}
	return v, nil
}

// GetVersionByID returns the version with the id.
func (s *Store) GetVersionByID(ctx context.Context, id int64) (*meta.Version, error) {
	v, err := scanVersion(s.r().QueryRowContext(ctx, `SELECT `+versionCols+` FROM task_versions WHERE id = ?`, id))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("task version %d", id))
	}
	return v, nil
}

// ListVersions lists a task's versions, newest first.
func (s *Store) ListVersions(ctx context.Context, taskID int64) ([]*meta.Version, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT `+versionCols+` FROM task_versions WHERE task_id = ? ORDER BY version DESC`, taskID)
	vs, err := collect(rows, err, scanVersion)
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("list versions of task %d", taskID))
	}
	return vs, nil
}
