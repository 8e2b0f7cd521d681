package sqlitemeta

import (
	"context"
	"fmt"

	"github.com/kilnhq/kiln/meta"
)

var _ meta.CatalogStore = (*Store)(nil)

// ReplaceCatalogTables implements meta.CatalogStore.
func (s *Store) ReplaceCatalogTables(ctx context.Context, projectID int64, engine string, tables []*meta.CatalogTable) error {
	return s.write(ctx, func(tx *Store) error {
		if _, err := tx.w().ExecContext(ctx, `DELETE FROM catalog_tables WHERE project_id = ? AND engine = ?`, projectID, engine); err != nil {
			return wrap(err, "catalog of engine "+engine)
		}
		for _, t := range tables {
			if t.CrawledAt.IsZero() {
				t.CrawledAt = now()
			}
			info, err := jsonText(t)
			if err != nil {
				return err
			}
			_, err = tx.w().ExecContext(ctx, `
				INSERT INTO catalog_tables (project_id, engine, schema_name, table_name, info, crawled_at) VALUES (?, ?, ?, ?, ?, ?)`,
				projectID, engine, t.Schema, t.Name, info, fmtTime(t.CrawledAt))
			if err != nil {
				return wrap(err, fmt.Sprintf("catalog table %s", t.FullName()))
			}
		}
		return nil
	})
}

// ListCatalogTables implements meta.CatalogStore.
func (s *Store) ListCatalogTables(ctx context.Context, projectID int64) ([]*meta.CatalogTable, error) {
	rows, err := s.r().QueryContext(ctx, `
		SELECT info FROM catalog_tables WHERE project_id = ? ORDER BY engine, schema_name, table_name`, projectID)
	return collect(rows, err, func(r scanner) (*meta.CatalogTable, error) {
		t := &meta.CatalogTable{}
		err := r.Scan(jsonCol{t})
		return t, err
	})
}

// AddCatalogChange implements meta.CatalogStore.
func (s *Store) AddCatalogChange(ctx context.Context, c *meta.CatalogChange) error {
	if c.At.IsZero() {
		c.At = now()
	}
	err := s.w().QueryRowContext(ctx, `
		INSERT INTO catalog_changes (project_id, engine, table_name, kind, column_name, detail, at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.ProjectID, c.Engine, c.Table, c.Kind, c.Column, c.Detail, fmtTime(c.At)).Scan(&c.ID)
	return wrap(err, "schema change of table "+c.Table)
}

// ListCatalogChanges implements meta.CatalogStore.
func (s *Store) ListCatalogChanges(ctx context.Context, projectID int64, table string, limit int) ([]*meta.CatalogChange, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r().QueryContext(ctx, `
		SELECT id, project_id, engine, table_name, kind, column_name, detail, at
		FROM catalog_changes WHERE project_id = ? AND table_name = ? ORDER BY id DESC LIMIT ?`, projectID, table, limit)
	return collect(rows, err, func(r scanner) (*meta.CatalogChange, error) {
		c := &meta.CatalogChange{}
		err := r.Scan(&c.ID, &c.ProjectID, &c.Engine, &c.Table, &c.Kind, &c.Column, &c.Detail, tm{&c.At})
		return c, err
	})
}
