package pgmeta

import (
	"context"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.LineageStore = (*Store)(nil)

// PutTaskLineage implements meta.LineageStore.
func (s *Store) PutTaskLineage(ctx context.Context, l *meta.TaskLineage) error {
	if l.ComputedAt.IsZero() {
		l.ComputedAt = now()
	}
	src, _ := jsonText(nonNil(l.Sources))
	tgt, _ := jsonText(nonNil(l.Targets))
	cols, _ := jsonText(nonNilEdges(l.Columns))
	_, err := s.q().Exec(ctx, `
		INSERT INTO task_lineage (project_id, task_id, task_name, version, dialect, sources, targets, columns, error, computed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (task_id, version) DO UPDATE SET task_name = excluded.task_name, dialect = excluded.dialect,
			sources = excluded.sources, targets = excluded.targets, columns = excluded.columns,
			error = excluded.error, computed_at = excluded.computed_at`,
		l.ProjectID, l.TaskID, l.TaskName, l.Version, l.Dialect, src, tgt, cols, l.Error, ts(l.ComputedAt))
	return wrap(err, fmt.Sprintf("lineage of task %s", l.TaskName))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilEdges(s []meta.LineageEdge) []meta.LineageEdge {
	if s == nil {
		return []meta.LineageEdge{}
	}
	return s
}

// ListTaskLineage implements meta.LineageStore.
func (s *Store) ListTaskLineage(ctx context.Context, projectID int64) ([]*meta.TaskLineage, error) {
	rows, err := s.q().Query(ctx, `
		SELECT l.project_id, l.task_id, t.name, l.version, l.dialect, l.sources, l.targets, l.columns, l.error, l.computed_at
		FROM task_lineage l JOIN tasks t ON t.id = l.task_id AND t.current_version = l.version
		WHERE l.project_id = $1 AND NOT t.removed ORDER BY t.name`, projectID)
	return collect(rows, err, func(r scanner) (*meta.TaskLineage, error) {
		l := &meta.TaskLineage{}
		err := r.Scan(&l.ProjectID, &l.TaskID, &l.TaskName, &l.Version, &l.Dialect, jsonCol{&l.Sources}, jsonCol{&l.Targets},
			jsonCol{&l.Columns}, &l.Error, tm{&l.ComputedAt})
		return l, err
	})
}

// AddTableWrite implements meta.LineageStore.
func (s *Store) AddTableWrite(ctx context.Context, w *meta.TableWrite) error {
	if w.At.IsZero() {
		w.At = now()
	}
	err := s.q().QueryRow(ctx, `
		INSERT INTO table_writes (project_id, table_name, instance_id, task_name, bizdate, rows, duration_ms, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		w.ProjectID, w.Table, w.InstanceID, w.TaskName, w.Bizdate, w.Rows, w.DurationMS, ts(w.At)).Scan(&w.ID)
	return wrap(err, fmt.Sprintf("write of table %s", w.Table))
}

// ListTableWrites implements meta.LineageStore.
func (s *Store) ListTableWrites(ctx context.Context, projectID int64, table string, limit int) ([]*meta.TableWrite, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.q().Query(ctx, `
		SELECT id, project_id, table_name, instance_id, task_name, bizdate, rows, duration_ms, at
		FROM table_writes WHERE project_id = $1 AND table_name = $2 ORDER BY id DESC LIMIT $3`, projectID, table, limit)
	return collect(rows, err, func(r scanner) (*meta.TableWrite, error) {
		w := &meta.TableWrite{}
		err := r.Scan(&w.ID, &w.ProjectID, &w.Table, &w.InstanceID, &w.TaskName, &w.Bizdate, &w.Rows, &w.DurationMS, tm{&w.At})
		return w, err
	})
}
