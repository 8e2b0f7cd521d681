package pgmeta

import (
	"context"
	"errors"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

const projectCols = `id, name, description, default_engine, config, created_at, updated_at`

func scanProject(r scanner) (*meta.Project, error) {
	p := &meta.Project{}
	err := r.Scan(&p.ID, &p.Name, &p.Description, &p.DefaultEngine, jsonCol{&p.Config}, tm{&p.CreatedAt}, tm{&p.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// CreateProject creates a project; a taken name is ErrConflict.
func (s *Store) CreateProject(ctx context.Context, p *meta.CreateProjectParams) (*meta.Project, error) {
	what := fmt.Sprintf("project %q", p.Name)
	if p.Name == "" {
		return nil, errors.New("create project: a name is required")
	}
	cfg, err := jsonText(p.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: config: %w", what, err)
	}
	t := now()
	pr, err := scanProject(s.q().QueryRow(ctx, `
		INSERT INTO projects (name, description, default_engine, config, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5) RETURNING `+projectCols,
		p.Name, p.Description, p.DefaultEngine, cfg, t))
	if err != nil {
		return nil, wrap(err, what)
	}
	return pr, nil
}

// UpdateProject replaces a project's description, engine and config.
func (s *Store) UpdateProject(ctx context.Context, p *meta.UpdateProjectParams) (*meta.Project, error) {
	what := fmt.Sprintf("project %d", p.ID)
	cfg, err := jsonText(p.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: config: %w", what, err)
	}
	pr, err := scanProject(s.q().QueryRow(ctx, `
		UPDATE projects SET description = $1, default_engine = $2, config = $3, updated_at = $4
		WHERE id = $5 RETURNING `+projectCols,
		p.Description, p.DefaultEngine, cfg, now(), p.ID))
	if err != nil {
		return nil, wrap(err, what)
	}
	return pr, nil
}

// GetProject returns the project with the name.
func (s *Store) GetProject(ctx context.Context, name string) (*meta.Project, error) {
	pr, err := scanProject(s.q().QueryRow(ctx, `SELECT `+projectCols+` FROM projects WHERE name = $1`, name))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("project %q", name))
	}
	return pr, nil
}

// GetProjectByID returns the project with the id.
func (s *Store) GetProjectByID(ctx context.Context, id int64) (*meta.Project, error) {
	pr, err := scanProject(s.q().QueryRow(ctx, `SELECT `+projectCols+` FROM projects WHERE id = $1`, id))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("project %d", id))
	}
	return pr, nil
}

// ListProjects lists every project by name.
func (s *Store) ListProjects(ctx context.Context) ([]*meta.Project, error) {
	rows, err := s.q().Query(ctx, `SELECT `+projectCols+` FROM projects ORDER BY name`)
	ps, err := collect(rows, err, scanProject)
	if err != nil {
		return nil, wrap(err, "list projects")
	}
	return ps, nil
}
