package sqlitemeta

import (
	"context"
	"errors"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

const dataSourceCols = `id, project_id, name, kind, dsn, options, secret_enc, created_at, updated_at`

func scanDataSource(r scanner) (*meta.DataSource, error) {
	d := &meta.DataSource{}
	err := r.Scan(&d.ID, &d.ProjectID, &d.Name, &d.Kind, &d.DSN, jsonCol{&d.Options}, &d.SecretEnc,
		tm{&d.CreatedAt}, tm{&d.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if len(d.SecretEnc) == 0 {
		d.SecretEnc = nil
	}
	d.HasSecret = d.SecretEnc != nil
	return d, nil
}

// UpsertDataSource creates a data source or replaces every field of the one
// with the same project and name, secret included.
func (s *Store) UpsertDataSource(ctx context.Context, p *meta.UpsertDataSourceParams) (*meta.DataSource, error) {
	what := fmt.Sprintf("data source %q of project %d", p.Name, p.ProjectID)
	if p.Name == "" || p.Kind == "" {
		return nil, errors.New("upsert data source: a name and a kind are required")
	}
	var secret any
	if len(p.SecretEnc) > 0 {
		secret = p.SecretEnc
	}
	t := fmtTime(now())
	d, err := scanDataSource(s.w().QueryRowContext(ctx, `
		INSERT INTO data_sources (project_id, name, kind, dsn, options, secret_enc, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (project_id, name) DO UPDATE SET
			kind = excluded.kind, dsn = excluded.dsn, options = excluded.options,
			secret_enc = excluded.secret_enc, updated_at = excluded.updated_at
		RETURNING `+dataSourceCols,
		p.ProjectID, p.Name, p.Kind, p.DSN, mapText(p.Options), secret, t, t))
	if err != nil {
		return nil, wrap(err, what)
	}
	return d, nil
}

// GetDataSource returns a project's data source by name.
func (s *Store) GetDataSource(ctx context.Context, projectID int64, name string) (*meta.DataSource, error) {
	d, err := scanDataSource(s.r().QueryRowContext(ctx,
		`SELECT `+dataSourceCols+` FROM data_sources WHERE project_id = ? AND name = ?`, projectID, name))
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("data source %q of project %d", name, projectID))
	}
	return d, nil
}

// ListDataSources lists a project's data sources by name.
func (s *Store) ListDataSources(ctx context.Context, projectID int64) ([]*meta.DataSource, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT `+dataSourceCols+` FROM data_sources WHERE project_id = ? ORDER BY name`, projectID)
	ds, err := collect(rows, err, scanDataSource)
	if err != nil {
		return nil, wrap(err, fmt.Sprintf("list data sources of project %d", projectID))
	}
	return ds, nil
}

// DeleteDataSource deletes a project's data source.
func (s *Store) DeleteDataSource(ctx context.Context, projectID int64, name string) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM data_sources WHERE project_id = ? AND name = ?`, projectID, name)
	return mustAffect(res, err, fmt.Sprintf("data source %q of project %d", name, projectID))
}
