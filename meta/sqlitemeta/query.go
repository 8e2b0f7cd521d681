package sqlitemeta

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.QueryStore = (*Store)(nil)

// DefaultQueryRunLimit is how many runs ListQueryRuns returns by default.
const DefaultQueryRunLimit = 100

const queryRunCols = `id, project_id, user_name, engine, sql, status, started_at, ended_at, rows, truncated, error`

func scanQueryRun(r scanner) (*meta.QueryRun, error) {
	q := &meta.QueryRun{}
	err := r.Scan(&q.ID, &q.ProjectID, &q.UserName, &q.Engine, &q.SQL, &q.Status, tm{&q.StartedAt}, tmNull{&q.EndedAt},
		&q.Rows, &q.Truncated, &q.Error)
	return q, err
}

// CreateQueryRun implements meta.QueryStore.
func (s *Store) CreateQueryRun(ctx context.Context, r *meta.QueryRun) error {
	if r.StartedAt.IsZero() {
		r.StartedAt = now()
	}
	r.StartedAt = r.StartedAt.UTC().Truncate(time.Microsecond)
	if r.Status == "" {
		r.Status = meta.QueryRunning
	}
	err := s.w().QueryRowContext(ctx, `
		INSERT INTO query_runs (project_id, user_name, engine, sql, status, started_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id`,
		r.ProjectID, r.UserName, r.Engine, r.SQL, string(r.Status), qTime(r.StartedAt)).Scan(&r.ID)
	return wrap(err, "query run")
}

// FinishQueryRun implements meta.QueryStore.
func (s *Store) FinishQueryRun(ctx context.Context, p *meta.FinishQueryRunParams) error {
	res, err := s.w().ExecContext(ctx, `
		UPDATE query_runs SET status = ?2, ended_at = ?3, rows = ?4, truncated = ?5, error = ?6 WHERE id = ?1`,
		p.ID, string(p.Status), qTime(p.EndedAt), p.Rows, p.Truncated, p.Error)
	return mustAffect(res, err, fmt.Sprintf("query run %d", p.ID))
}

// GetQueryRun implements meta.QueryStore.
func (s *Store) GetQueryRun(ctx context.Context, id int64) (*meta.QueryRun, error) {
	q, err := scanQueryRun(s.r().QueryRowContext(ctx, `SELECT `+queryRunCols+` FROM query_runs WHERE id = ?1`, id))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("query run %d", id))
	}
	return q, nil
}

// ListQueryRuns implements meta.QueryStore.
func (s *Store) ListQueryRuns(ctx context.Context, p *meta.ListQueryRunsParams) ([]*meta.QueryRun, error) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if p.ProjectID != 0 {
		add("project_id = ?%d", p.ProjectID)
	}
	if p.UserName != "" {
		add("user_name = ?%d", p.UserName)
	}
	if p.Status != "" {
		add("status = ?%d", string(p.Status))
	}
	q := `SELECT ` + queryRunCols + ` FROM query_runs`
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, " AND ")
	}
	args = append(args, cmpOr(p.Limit, DefaultQueryRunLimit))
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT ?%d`, len(args))
	rows, err := s.r().QueryContext(ctx, q, args...)
	out, err := collect(rows, err, scanQueryRun)
	return out, wrap(err, "list query runs")
}

func cmpOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

const savedQueryCols = `id, project_id, owner, folder, name, engine, sql, shared, created_at, updated_at`

func scanSavedQuery(r scanner) (*meta.SavedQuery, error) {
	q := &meta.SavedQuery{}
	err := r.Scan(&q.ID, &q.ProjectID, &q.Owner, &q.Folder, &q.Name, &q.Engine, &q.SQL, &q.Shared, tm{&q.CreatedAt}, tm{&q.UpdatedAt})
	return q, err
}

// SaveQuery implements meta.QueryStore.
func (s *Store) SaveQuery(ctx context.Context, q *meta.SavedQuery) error {
	if q.Name == "" || q.Owner == "" {
		return fmt.Errorf("save query: a name and an owner are required")
	}
	t := now()
	got, err := scanSavedQuery(s.w().QueryRowContext(ctx, `
		INSERT INTO saved_queries (project_id, owner, folder, name, engine, sql, shared, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
		ON CONFLICT (project_id, owner, folder, name) DO UPDATE
		SET engine = excluded.engine, sql = excluded.sql, shared = excluded.shared, updated_at = excluded.updated_at
		RETURNING `+savedQueryCols,
		q.ProjectID, q.Owner, q.Folder, q.Name, q.Engine, q.SQL, q.Shared, qTime(t)))
	if err != nil {
		return wrap(err, fmt.Sprintf("saved query %q", q.Name))
	}
	*q = *got
	return nil
}

// GetSavedQuery implements meta.QueryStore.
func (s *Store) GetSavedQuery(ctx context.Context, id int64) (*meta.SavedQuery, error) {
	q, err := scanSavedQuery(s.r().QueryRowContext(ctx, `SELECT `+savedQueryCols+` FROM saved_queries WHERE id = ?1`, id))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("saved query %d", id))
	}
	return q, nil
}

// ListSavedQueries implements meta.QueryStore.
func (s *Store) ListSavedQueries(ctx context.Context, projectID int64, user string) ([]*meta.SavedQuery, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT `+savedQueryCols+` FROM saved_queries
		WHERE project_id = ?1 AND (owner = ?2 OR shared) ORDER BY folder, name, owner`, projectID, user)
	out, err := collect(rows, err, scanSavedQuery)
	return out, wrap(err, "list saved queries")
}

// DeleteSavedQuery implements meta.QueryStore.
func (s *Store) DeleteSavedQuery(ctx context.Context, id int64) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM saved_queries WHERE id = ?1`, id)
	return mustAffect(res, err, fmt.Sprintf("saved query %d", id))
}

// GrantTable implements meta.QueryStore.
func (s *Store) GrantTable(ctx context.Context, g *meta.TableGrant) error {
	g.CreatedAt = now()
	_, err := s.w().ExecContext(ctx, `
		INSERT INTO table_grants (project_id, user_name, table_name, granted_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
		ON CONFLICT (project_id, user_name, table_name) DO NOTHING`,
		g.ProjectID, g.UserName, g.Table, g.GrantedBy, qTime(g.CreatedAt))
	return wrap(err, fmt.Sprintf("grant on %s", g.Table))
}

// RevokeTable implements meta.QueryStore.
func (s *Store) RevokeTable(ctx context.Context, projectID int64, user, table string) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM table_grants WHERE project_id = ?1 AND user_name = ?2 AND table_name = ?3`,
		projectID, user, table)
	return mustAffect(res, err, fmt.Sprintf("grant of %s to %s", table, user))
}

// ListTableGrants implements meta.QueryStore.
func (s *Store) ListTableGrants(ctx context.Context, projectID int64) ([]*meta.TableGrant, error) {
	rows, err := s.r().QueryContext(ctx, `SELECT project_id, user_name, table_name, granted_by, created_at
		FROM table_grants WHERE project_id = ?1 ORDER BY table_name, user_name`, projectID)
	out, err := collect(rows, err, func(r scanner) (*meta.TableGrant, error) {
		g := &meta.TableGrant{}
		return g, r.Scan(&g.ProjectID, &g.UserName, &g.Table, &g.GrantedBy, tm{&g.CreatedAt})
	})
	return out, wrap(err, "list table grants")
}

// qTime renders a time as this store keeps it.
func qTime(t time.Time) any { return fmtTime(t) }

func isNotFound(err error) bool { return errors.Is(err, meta.ErrNotFound) }
